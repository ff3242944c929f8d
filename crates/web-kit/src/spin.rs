//! A component's wasi:http entry point, read and written straight from the bindings (spin-sdk's `Request` would
//! fold headers into a map and read the body through its async executor); the only spin-sdk HTTP code a
//! component needs.

use spin_kv_guest::SpinKvStore;
use spin_sdk::http::{Fields, IncomingRequest, Method, OutgoingBody, OutgoingResponse, ResponseOutparam};
use wasi::io::streams::StreamError;

use crate::{kv_failure, Reply, Request};

/// A component variable, `None` when undefined or empty (an empty default means "not configured").
pub fn variable(name: &str) -> Option<String> {
    spin_sdk::variables::get(name).ok().filter(|v| !v.is_empty())
}

/// Bytes asked for per read of the request body.
const READ_SIZE: u64 = 64 * 1024;

fn method_name(method: Method) -> String {
    match method {
        Method::Get => "GET".into(),
        Method::Head => "HEAD".into(),
        Method::Post => "POST".into(),
        Method::Put => "PUT".into(),
        Method::Delete => "DELETE".into(),
        Method::Connect => "CONNECT".into(),
        Method::Options => "OPTIONS".into(),
        Method::Trace => "TRACE".into(),
        Method::Patch => "PATCH".into(),
        Method::Other(other) => other,
    }
}

/// The whole request, read straight from wasi:http: headers in arrival order, duplicates kept.
pub fn read_request(request: IncomingRequest) -> Result<Request, Reply> {
    let path_with_query = request.path_with_query().unwrap_or_default();
    let (path, query) = path_with_query.split_once('?').unwrap_or((&path_with_query, ""));
    let headers = request
        .headers()
        .entries()
        .into_iter()
        .map(|(name, value)| (name.to_ascii_lowercase(), String::from_utf8(value).unwrap_or_default()))
        .collect();
    let (path, query) = (path.to_owned(), query.to_owned());
    let method = method_name(request.method());
    let unreadable = || Reply::error(400, "could not read the request body");
    let body = request.consume().map_err(|()| unreadable())?;
    let mut bytes = Vec::new();
    {
        let stream = body.stream().map_err(|()| unreadable())?;
        loop {
            match stream.blocking_read(READ_SIZE) {
                Ok(chunk) => bytes.extend_from_slice(&chunk),
                Err(StreamError::Closed) => break,
                Err(StreamError::LastOperationFailed(_)) => return Err(unreadable()),
            }
        }
    }
    drop(body);
    Ok(Request { method, path, query, headers, body: bytes })
}

/// Sends `reply`; one wasi:http refuses (a bad header or status) becomes a 500.
pub fn respond(out: ResponseOutparam, reply: Reply) {
    let (response, body) = match head(&reply) {
        Some(response) => (response, reply.body),
        None => {
            let fallback = Reply::error(500, "the component produced an invalid response head");
            match head(&fallback) {
                Some(response) => (response, fallback.body),
                None => return,
            }
        }
    };
    let Ok(outgoing) = response.body() else { return };
    out.set(response);
    write_body(&outgoing, &body);
    let _ = OutgoingBody::finish(outgoing, None);
}

fn head(reply: &Reply) -> Option<OutgoingResponse> {
    let fields: Vec<(String, Vec<u8>)> = reply.headers.iter().map(|(n, v)| (n.clone(), v.as_bytes().to_vec())).collect();
    let response = OutgoingResponse::new(Fields::from_list(&fields).ok()?);
    response.set_status_code(reply.status).ok()?;
    Some(response)
}

/// Writes as much as the host accepts per call, waiting when its buffer is full; a closed client ends it.
fn write_body(outgoing: &OutgoingBody, mut rest: &[u8]) {
    let Ok(stream) = outgoing.write() else { return };
    while !rest.is_empty() {
        match stream.check_write() {
            Ok(0) => stream.subscribe().block(),
            Ok(n) => {
                let (now, later) = rest.split_at(usize::try_from(n).unwrap_or(usize::MAX).min(rest.len()));
                if stream.write(now).is_err() {
                    return;
                }
                rest = later;
            }
            Err(_) => return,
        }
    }
    let _ = stream.flush();
}

/// Runs a plain handler for one wasi:http request.
pub fn serve(request: IncomingRequest, out: ResponseOutparam, handler: impl FnOnce(&Request) -> Reply) {
    let reply = match read_request(request) {
        Ok(req) => handler(&req),
        Err(reply) => reply,
    };
    respond(out, reply);
}

/// [`serve`] for a handler that needs the `default` store.
pub fn serve_with_store(request: IncomingRequest, out: ResponseOutparam, handler: impl FnOnce(&Request, &SpinKvStore) -> Reply) {
    serve(request, out, |req| with_store(|store| handler(req, store)))
}

/// Runs `handler` with the `default` store; a store that cannot be opened answers 500/503.
pub fn with_store(handler: impl FnOnce(&SpinKvStore) -> Reply) -> Reply {
    match SpinKvStore::open_default() {
        Ok(store) => handler(&store),
        Err(e) => kv_failure(&e),
    }
}
