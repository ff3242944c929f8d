//! Test component for the gateway tests: the first path segment picks what it does.
//!
//! `/var/<name>` reads a variable, `/files` reads and tries to write the files mount, `/outbound?url=…` makes an
//! outgoing request, `/trap`, `/loop` and `/hog` misbehave; anything else echoes the request as JSON.

use spin_sdk::http::{IncomingRequest, IntoResponse, Request, Response};
use spin_sdk::http_component;

#[http_component]
async fn handle(req: IncomingRequest) -> anyhow::Result<impl IntoResponse> {
    let path_with_query = req.path_with_query().unwrap_or_default();
    let (path, query) = path_with_query.split_once('?').unwrap_or((&path_with_query, ""));
    let mut segments = path.trim_start_matches('/').splitn(2, '/');
    let first = segments.next().unwrap_or("");
    let rest = segments.next().unwrap_or("");
    Ok(match first {
        "var" => variable(rest),
        "files" => files(),
        "outbound" => outbound(query).await,
        "trap" => panic!("test-echo was asked to trap"),
        "loop" => spin_forever(),
        "hog" => hog_memory(),
        _ => echo(req).await,
    })
}

fn json(status: u16, value: serde_json::Value) -> Response {
    Response::builder().status(status).header("content-type", "application/json").body(value.to_string()).build()
}

/// Headers in received order, duplicates kept (spin-sdk's `Request` would fold them into a map).
async fn echo(req: IncomingRequest) -> Response {
    let headers: Vec<_> = req
        .headers()
        .entries()
        .into_iter()
        .map(|(k, v)| serde_json::json!([k, String::from_utf8_lossy(&v)]))
        .collect();
    let method = format!("{:?}", req.method());
    let uri = req.uri();
    let body_len = req.into_body().await.map(|b| b.len()).unwrap_or(0);
    json(200, serde_json::json!({ "method": method, "uri": uri, "headers": headers, "body_len": body_len }))
}

fn variable(name: &str) -> Response {
    match spin_sdk::variables::get(name) {
        Ok(value) => json(200, serde_json::json!({ "value": value })),
        Err(err) => json(404, serde_json::json!({ "message": format!("{err:?}") })),
    }
}

fn files() -> Response {
    let read = std::fs::read_to_string("/static/hello.txt").map_err(|e| e.to_string());
    let write = std::fs::write("/static/new.txt", b"nope").map_err(|e| e.to_string());
    json(
        200,
        serde_json::json!({
            "read": read.unwrap_or_else(|e| format!("error: {e}")),
            "write_error": write.err(),
        }),
    )
}

async fn outbound(query: &str) -> Response {
    let url = query.strip_prefix("url=").unwrap_or(query);
    let request = Request::get(url).build();
    match spin_sdk::http::send::<_, Response>(request).await {
        Ok(response) => json(
            200,
            serde_json::json!({ "status": response.status(), "body": String::from_utf8_lossy(response.body()) }),
        ),
        Err(err) => json(502, serde_json::json!({ "message": format!("{err:?}") })),
    }
}

fn spin_forever() -> Response {
    let mut counter = 0u64;
    loop {
        counter = std::hint::black_box(counter.wrapping_add(1));
    }
}

fn hog_memory() -> Response {
    let mut hoard: Vec<Vec<u8>> = Vec::new();
    loop {
        hoard.push(std::hint::black_box(vec![1u8; 16 * 1024 * 1024]));
    }
}
