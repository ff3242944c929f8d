//! Outgoing wasi-http: only to the component's `allowed_outbound_hosts`, denied with `HTTP-request-denied`;
//! `*.spin.internal` and `self.alt` go to [`crate::chaining`]; HTTPS to a host of a matching
//! `[[client_tls]]` entry goes through [`super::client_tls`] (its roots and client certificate), everything else
//! through wasmtime-wasi-http's default sender.

use std::future::Future;
use std::sync::Arc;

use http_body_util::BodyExt;
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks};

use super::ComponentConfig;

type SendResult = wasmtime_wasi_http::Result<(http::Response<WasiBody>, Box<dyn Future<Output = Result<(), Error>> + Send>)>;

pub struct OutboundHooks {
    component: Arc<ComponentConfig>,
}

impl OutboundHooks {
    pub fn new(component: Arc<ComponentConfig>) -> Self {
        Self { component }
    }
}

impl WasiHttpHooks for OutboundHooks {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _response_errors: Box<dyn Future<Output = Result<(), Error>> + Send>,
    ) -> Box<dyn Future<Output = SendResult> + Send> {
        let uri = request.uri();
        let scheme = uri.scheme_str().unwrap_or("https");
        let chained = uri.host().and_then(spin_app::outbound::service_chaining_target).map(str::to_owned);
        let authority = uri.authority().map(|a| a.as_str()).unwrap_or("");
        let to_self = uri.host() == Some("self.alt");
        let allowed = if to_self {
            self.component.outbound.allows_self(scheme)
        } else {
            self.component.outbound.allows_url(&uri.to_string())
        };
        if !allowed {
            eprintln!(
                "A component tried to make an outbound network connection to disallowed destination '{scheme}://{authority}'. \
                 (component {}: add it to allowed_outbound_hosts)",
                self.component.id
            );
            return Box::new(async { Err(Error::HttpRequestDenied) });
        }
        if let Some(target) = chained {
            let chaining = self.component.chaining.clone();
            return Box::new(async move {
                let response = chaining.call(target, request).await?;
                Ok((response, Box::new(async { Ok(()) }) as Box<dyn Future<Output = _> + Send>))
            });
        }
        let mut request = request;
        if to_self && self.component.chaining.to_self(&mut request).is_none() {
            return Box::new(async { Err(Error::DestinationUnavailable) });
        }
        if !to_self {
            if let Some(config) = self.component.client_tls.config_for(&self.component.id, request.uri()) {
                return Box::new(super::client_tls::send(request, options, config));
            }
        }
        Box::new(async move {
            let (response, io) = wasmtime_wasi_http::default_send_request(request, options).await?;
            Ok((response.map(BodyExt::boxed_unsync), Box::new(io) as Box<dyn Future<Output = _> + Send>))
        })
    }
}
