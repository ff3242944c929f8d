//! Conversions between spin-sdk's HTTP types and ours; the only spin-sdk code a component needs for HTTP.

use spin_kv_guest::SpinKvStore;
use spin_sdk::http::{Request as SpinRequest, Response as SpinResponse};

use crate::{kv_failure, Reply, Request};

pub fn from_spin(request: &SpinRequest) -> Request {
    Request {
        method: request.method().to_string(),
        path: request.path().to_owned(),
        query: request.query().to_owned(),
        headers: request
            .headers()
            .map(|(name, value)| (name.to_ascii_lowercase(), value.as_str().unwrap_or_default().to_owned()))
            .collect(),
        body: request.body().to_vec(),
    }
}

pub fn into_spin(reply: Reply) -> SpinResponse {
    let mut builder = SpinResponse::builder();
    builder.status(reply.status);
    for (name, value) in reply.headers {
        builder.header(name, value);
    }
    builder.body(reply.body).build()
}

/// Runs a plain handler as a Spin HTTP handler.
pub fn serve(request: SpinRequest, handler: impl FnOnce(&Request) -> Reply) -> SpinResponse {
    into_spin(handler(&from_spin(&request)))
}

/// Runs a handler that needs the `default` store; a store that cannot be opened answers 500/503.
pub fn serve_with_store(request: SpinRequest, handler: impl FnOnce(&Request, &SpinKvStore) -> Reply) -> SpinResponse {
    serve(request, |req| match SpinKvStore::open_default() {
        Ok(store) => handler(req, &store),
        Err(e) => kv_failure(&e),
    })
}

/// A component variable, `None` when undefined or empty (an empty default means "not configured").
pub fn variable(name: &str) -> Option<String> {
    spin_sdk::variables::get(name).ok().filter(|v| !v.is_empty())
}
