//! Requests a component makes to the app itself: `http://<component>.spin.internal/…` runs that component
//! in-process, as Spin does (route `/...`, the whole path as path-info, client address `0.0.0.0:0`);
//! `http://self.alt/…` goes through the gateway's own listener.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock, Weak};

use http::Request;
use http_body_util::{BodyExt, Full, Limited};
use spin_app::headers::RequestInfo;
use spin_app::routes::RouteMatch;
use wasmtime_wasi_http::{Error, WasiBody};

use crate::runner::Runner;
use crate::server::{append_spin_headers, Limits};

/// Shared by every component; filled in once the runner exists (it holds the components that hold this).
pub struct Chaining {
    runner: OnceLock<Weak<Runner>>,
    listen: OnceLock<SocketAddr>,
    limits: Limits,
}

impl Chaining {
    pub fn new(limits: Limits) -> Arc<Self> {
        Arc::new(Self { runner: OnceLock::new(), listen: OnceLock::new(), limits })
    }

    pub fn attach(&self, runner: &Arc<Runner>) {
        let _ = self.runner.set(Arc::downgrade(runner));
    }

    /// Records the bound address, where self-requests go.
    pub fn listening_on(&self, addr: SocketAddr) {
        let _ = self.listen.set(addr);
    }

    /// Points a `self.alt` request at the listener (`None` before the gateway listens).
    pub fn to_self(&self, request: &mut Request<WasiBody>) -> Option<()> {
        let listen = *self.listen.get()?;
        let path_and_query = request.uri().path_and_query().map_or("/", |pq| pq.as_str());
        *request.uri_mut() = format!("http://{listen}{path_and_query}").parse().ok()?;
        request.headers_mut().insert(http::header::HOST, http::HeaderValue::from_str(&listen.to_string()).ok()?);
        Some(())
    }

    /// Runs `target` on `request`; the response is streamed from the target's instance.
    pub async fn call(&self, target: String, request: Request<WasiBody>) -> Result<http::Response<WasiBody>, Error> {
        let runner = self.runner.get().and_then(Weak::upgrade).ok_or(Error::InternalError(Some("gateway is not serving".into())))?;
        let (mut parts, body) = request.into_parts();
        let body = Limited::new(body, self.limits.max_request_body)
            .collect()
            .await
            .map_err(|_| Error::HttpRequestBodySize(None))?
            .to_bytes();
        let path_and_query = parts.uri.path_and_query().map_or("/", |pq| pq.as_str()).to_owned();
        let authority = parts.uri.authority().map(|a| a.to_string());
        // Spin strips a `*.spin.internal` Host header; the guest sees the authority through the URI.
        parts.headers.remove(http::header::HOST);
        let matched = RouteMatch::synthetic(&target, parts.uri.path());
        let info = RequestInfo {
            scheme: "http",
            host: authority.as_deref(),
            path_and_query: &path_and_query,
            client_addr: SocketAddr::from(([0, 0, 0, 0], 0)),
        };
        append_spin_headers(&mut parts.headers, &matched, &info).map_err(|_| Error::HttpRequestHeaderSize {
            field_name: None,
            field_size: None,
        })?;
        let request = Request::from_parts(parts, Full::new(body));
        runner.run(&target, request, &self.limits).await.map_err(|failure| Error::InternalError(Some(failure.message)))
    }
}
