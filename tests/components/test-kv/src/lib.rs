//! Test component for the gateway tests: REST over key-value labels, addressed by `spin-path-info`.
//!
//! `GET|PUT|DELETE <route>/<label>/<key>` uses Spin's key-value API; `GET <route>/<label>` lists keys;
//! `POST <route>/<label>/<key>/incr` adds 1 through `wasi:keyvalue/atomics` and returns the new value;
//! `POST <route>/<label>/<key>/append` appends the body with a compare-and-swap retry loop.

use spin_sdk::http::{IntoResponse, Method, Request, Response};
use spin_sdk::http_component;
use spin_sdk::key_value::{Error, Store};
use spin_sdk::wit::wasi::keyvalue::{atomics, store as wasi_store};

#[http_component]
fn handle(req: Request) -> anyhow::Result<impl IntoResponse> {
    let info = req.header("spin-path-info").and_then(|v| v.as_str()).unwrap_or("").to_owned();
    let parts: Vec<&str> = info.trim_start_matches('/').split('/').collect();
    Ok(match (req.method(), parts.as_slice()) {
        (Method::Post, [label, key, "incr"]) => increment(label, key),
        (Method::Post, [label, key, "append"]) => append(label, key, req.body()),
        (method, [label, key]) => with_store(label, |store| match method {
            Method::Get => store.get(key).map(|value| match value {
                Some(value) => Response::new(200, value),
                None => message(404, "no such key"),
            }),
            Method::Put => store.set(key, req.body()).map(|()| Response::new(204, ())),
            Method::Delete => store.delete(key).map(|()| Response::new(204, ())),
            _ => Ok(message(405, "method not allowed")),
        }),
        (Method::Get, [label]) => with_store(label, |store| {
            let mut keys = store.get_keys()?;
            keys.sort();
            Ok(Response::new(200, serde_json::to_string(&keys).unwrap_or_default()))
        }),
        _ => message(400, "expected <label>/<key>"),
    })
}

fn message(status: u16, text: &str) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(serde_json::json!({ "message": text }).to_string())
        .build()
}

fn with_store(label: &str, op: impl FnOnce(&Store) -> Result<Response, Error>) -> Response {
    match Store::open(label).and_then(|store| op(&store)) {
        Ok(response) => response,
        Err(Error::AccessDenied) => message(403, "access-denied"),
        Err(Error::NoSuchStore) => message(404, "no-such-store"),
        Err(Error::Other(text)) if text.contains("read-only replica") => message(503, "read-only replica"),
        Err(err) => message(500, &format!("{err:?}")),
    }
}

fn increment(label: &str, key: &str) -> Response {
    let bucket = match wasi_store::open(label) {
        Ok(bucket) => bucket,
        Err(wasi_store::Error::AccessDenied) => return message(403, "access-denied"),
        Err(err) => return message(500, &format!("{err:?}")),
    };
    match atomics::increment(&bucket, key, 1) {
        Ok(value) => Response::new(200, value.to_string()),
        Err(wasi_store::Error::Other(text)) if text.contains("read-only replica") => message(503, "read-only replica"),
        Err(err) => message(500, &format!("{err:?}")),
    }
}

fn append(label: &str, key: &str, suffix: &[u8]) -> Response {
    let bucket = match wasi_store::open(label) {
        Ok(bucket) => bucket,
        Err(err) => return message(500, &format!("{err:?}")),
    };
    let mut cas = match atomics::Cas::new(&bucket, key) {
        Ok(cas) => cas,
        Err(err) => return message(500, &format!("{err:?}")),
    };
    for attempt in 1..=1000 {
        let mut value = match cas.current() {
            Ok(value) => value.unwrap_or_default(),
            Err(err) => return message(500, &format!("{err:?}")),
        };
        value.extend_from_slice(suffix);
        match atomics::swap(cas, &value) {
            Ok(()) => return Response::new(200, attempt.to_string()),
            Err(atomics::CasError::CasFailed(retry)) => cas = retry,
            Err(atomics::CasError::StoreError(err)) => return message(500, &format!("{err:?}")),
        }
    }
    message(500, "compare-and-swap kept conflicting")
}
