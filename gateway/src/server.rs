//! The HTTP front: accepts connections, applies the reserved paths and the router, runs the matched
//! component in a fresh instance with the request limits, and writes one access-log line per request.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use spin_app::app::StaticResponse;
use spin_app::headers::RequestInfo;
use spin_app::routes::{self, RouteMatch, RouteTarget, WellKnown};
use spin_app::Router;
use tokio::net::TcpListener;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;

use crate::runner::{Failure, Runner};

/// Limits that go beyond Spin (which has none of them for WASIp2 components).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_request_body: usize,
    pub request_timeout: Duration,
    pub max_instance_memory: usize,
}

/// What the server needs from the loaded app.
pub struct Gateway {
    pub runner: Arc<Runner>,
    pub chaining: Arc<crate::chaining::Chaining>,
    pub router: Router,
    /// Static responses by trigger ID.
    pub statics: BTreeMap<String, StaticResponse>,
    /// The body of `/.well-known/spin/info`.
    pub info: Bytes,
    pub limits: Limits,
    pub access_log: crate::access_log::AccessLog,
}

/// Serves until SIGTERM or SIGINT, then stops accepting and lets open requests finish (at most 10 s).
pub async fn serve(gateway: Arc<Gateway>, listener: TcpListener) -> Result<()> {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let flusher = gateway.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(crate::access_log::FLUSH_EVERY);
        loop {
            every.tick().await;
            flusher.access_log.flush();
        }
    });
    loop {
        let (socket, client) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // E.g. out of file descriptors: back off instead of spinning.
                    eprintln!("accept failed: {err}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = terminate.recv() => break,
            _ = tokio::signal::ctrl_c() => break,
        };
        // Without it, small responses on keep-alive connections wait ~40 ms for delayed ACKs.
        let _ = socket.set_nodelay(true);
        let gateway = gateway.clone();
        let service = hyper::service::service_fn(move |req| {
            let gateway = gateway.clone();
            async move { Ok::<_, std::convert::Infallible>(gateway.handle(req, client).await) }
        });
        let connection = hyper::server::conn::http1::Builder::new()
            .keep_alive(true)
            // A client that never finishes its request head must not hold the connection forever.
            .timer(hyper_util::rt::TokioTimer::new())
            .header_read_timeout(Duration::from_secs(30))
            .serve_connection(hyper_util::rt::TokioIo::new(socket), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(err) = connection.await {
                if !err.is_incomplete_message() {
                    eprintln!("connection from {client}: {err}");
                }
            }
        });
    }
    gateway.access_log.flush();
    println!("User requested shutdown: exiting");
    let _ = tokio::time::timeout(Duration::from_secs(10), graceful.shutdown()).await;
    gateway.access_log.flush();
    Ok(())
}

impl Gateway {
    async fn handle(&self, req: Request<Incoming>, client: SocketAddr) -> Response<HyperOutgoingBody> {
        let started = Instant::now();
        let _in_flight = self.access_log.begin();
        let method = req.method().clone();
        let path = req.uri().path().to_owned();
        let (response, route, component) = self.dispatch(req, client).await;
        self.access_log.line(format_args!(
            "{method} {path} route={} component={} status={} us={}",
            route.as_deref().unwrap_or("-"),
            component.as_deref().unwrap_or("-"),
            response.status().as_u16(),
            started.elapsed().as_micros()
        ));
        response
    }

    /// Returns the response plus the matched route and component for the access log.
    async fn dispatch(
        &self,
        req: Request<Incoming>,
        client: SocketAddr,
    ) -> (Response<HyperOutgoingBody>, Option<String>, Option<String>) {
        let path = req.uri().path();
        if let Some(reserved) = routes::well_known(path) {
            let response = match reserved {
                WellKnown::Health => text(StatusCode::OK, "text/plain", Bytes::from_static(b"OK")),
                WellKnown::Info => text(StatusCode::OK, "application/json", self.info.clone()),
                WellKnown::NotFound => empty(StatusCode::NOT_FOUND),
            };
            return (response, Some(routes::WELL_KNOWN_PREFIX.to_owned()), None);
        }
        let Some(matched) = self.router.route(path) else {
            return (empty(StatusCode::NOT_FOUND), None, None);
        };
        let route = Some(matched.raw_route.clone());
        let component_id = match &matched.target {
            RouteTarget::Static(trigger) => {
                let response = match self.statics.get(trigger) {
                    Some(reply) => static_reply(reply),
                    None => message(StatusCode::INTERNAL_SERVER_ERROR, "static response not found"),
                };
                return (response, route, None);
            }
            RouteTarget::Component(id) => id.clone(),
        };
        let response = match self.prepare(req, &matched, client).await {
            Ok(req) => match self.runner.run(&component_id, req, &self.limits).await {
                Ok(response) => response,
                Err(failure) => failure_response(failure),
            },
            Err(response) => response,
        };
        (response, route, Some(component_id))
    }

    /// Buffers the body within the limit, makes the URI absolute and appends the `spin-*` headers.
    async fn prepare(
        &self,
        req: Request<Incoming>,
        matched: &RouteMatch,
        client: SocketAddr,
    ) -> Result<Request<Full<Bytes>>, Response<HyperOutgoingBody>> {
        let (mut parts, body) = req.into_parts();
        let max = self.limits.max_request_body;
        let too_large = || message(StatusCode::PAYLOAD_TOO_LARGE, &format!("request body exceeds {max} bytes"));
        let declared = parts.headers.get(http::header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
        if declared.is_some_and(|len| len > max as u64) {
            return Err(too_large());
        }
        let body = match Limited::new(body, max).collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(err) if err.downcast_ref::<http_body_util::LengthLimitError>().is_some() => return Err(too_large()),
            Err(err) => return Err(message(StatusCode::BAD_REQUEST, &format!("reading the request body: {err}"))),
        };
        let Some(host) = parts.headers.get(http::header::HOST).and_then(|h| h.to_str().ok()).map(str::to_owned) else {
            return Err(message(StatusCode::BAD_REQUEST, "no 'Host' header present in request"));
        };
        let path_and_query = parts.uri.path_and_query().map_or("/", |pq| pq.as_str()).to_owned();
        let path_and_query = path_and_query.as_str();
        parts.uri = match format!("http://{host}{path_and_query}").parse() {
            Ok(uri) => uri,
            Err(err) => return Err(message(StatusCode::BAD_REQUEST, &format!("invalid request URI: {err}"))),
        };
        let info = RequestInfo { scheme: "http", host: Some(&host), path_and_query, client_addr: client };
        if append_spin_headers(&mut parts.headers, matched, &info).is_err() {
            return Err(message(StatusCode::INTERNAL_SERVER_ERROR, "non-UTF-8 header value"));
        }
        Ok(Request::from_parts(parts, Full::new(body)))
    }
}

/// Appends the `spin-*` headers after the client's, as Spin does, so a client-sent one comes first.
pub fn append_spin_headers(headers: &mut http::HeaderMap, matched: &RouteMatch, info: &RequestInfo<'_>) -> Result<(), ()> {
    for (name, value) in spin_app::headers::spin_headers(matched, info) {
        let name = http::HeaderName::try_from(name).map_err(|_| ())?;
        headers.append(name, HeaderValue::from_str(&value).map_err(|_| ())?);
    }
    Ok(())
}

fn failure_response(failure: Failure) -> Response<HyperOutgoingBody> {
    message(StatusCode::INTERNAL_SERVER_ERROR, &failure.message)
}

fn static_reply(reply: &StaticResponse) -> Response<HyperOutgoingBody> {
    let mut response = text(
        StatusCode::from_u16(reply.status_code).unwrap_or(StatusCode::OK),
        "",
        Bytes::from(reply.body.clone().unwrap_or_default()),
    );
    response.headers_mut().remove(http::header::CONTENT_TYPE);
    for (name, value) in &reply.headers {
        if let (Ok(name), Ok(value)) = (http::HeaderName::try_from(name.as_str()), HeaderValue::from_str(value)) {
            response.headers_mut().append(name, value);
        }
    }
    response
}

/// A JSON `{"message": …}` error response (our addition: Spin sends empty bodies).
pub fn message(status: StatusCode, text_message: &str) -> Response<HyperOutgoingBody> {
    let body = serde_json::json!({ "message": text_message }).to_string();
    text(status, "application/json", Bytes::from(body))
}

fn empty(status: StatusCode) -> Response<HyperOutgoingBody> {
    text(status, "", Bytes::new())
}

fn text(status: StatusCode, content_type: &'static str, body: Bytes) -> Response<HyperOutgoingBody> {
    let mut response = Response::new(Full::new(body).map_err(|never| match never {}).boxed_unsync());
    *response.status_mut() = status;
    if !content_type.is_empty() {
        response.headers_mut().insert(http::header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    }
    response
}
