//! Against a tiny scripted HTTP/1.1 server on localhost.

use super::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Answers connection `i` with `script(i)` (status, body, delay before answering); returns the base URL and the hit count.
fn serve(script: impl Fn(usize) -> (u16, Vec<u8>, Duration) + Send + 'static) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let i = counter.fetch_add(1, Ordering::SeqCst);
            let (status, answer, delay) = script(i);
            // Slow answers must not hold up the next connection.
            std::thread::spawn(move || {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            std::thread::sleep(delay);
            let head = format!("HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", answer.len());
            let _ = stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(&answer));
            });
        }
    });
    (url, hits)
}

fn client(retries: u32) -> Client {
    let config = ClientConfig { retries, backoff: Duration::from_millis(1), timeout: Duration::from_millis(500), ..ClientConfig::default() };
    Client::new(config).unwrap()
}

#[test]
fn retries_5xx_then_succeeds() {
    let (url, hits) = serve(|i| if i < 2 { (503, b"busy".to_vec(), Duration::ZERO) } else { (200, b"{\"a\":1}".to_vec(), Duration::ZERO) });
    let value: serde_json::Value = client(3).get_json(&url).unwrap();
    assert_eq!(value["a"], 1);
    assert_eq!(hits.load(Ordering::SeqCst), 3);
}

#[test]
fn retries_are_bounded() {
    let (url, hits) = serve(|_| (500, Vec::new(), Duration::ZERO));
    assert_eq!(client(2).get(&url), Err(Error::Status(500)));
    assert_eq!(hits.load(Ordering::SeqCst), 3);
}

#[test]
fn client_errors_are_not_retried() {
    let (url, hits) = serve(|_| (404, Vec::new(), Duration::ZERO));
    assert_eq!(client(3).get(&url), Err(Error::Status(404)));
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

#[test]
fn slow_answers_time_out_and_are_retried() {
    let (url, hits) = serve(|i| if i == 0 { (200, b"late".to_vec(), Duration::from_secs(2)) } else { (200, b"ok".to_vec(), Duration::ZERO) });
    assert_eq!(client(1).get(&url).unwrap(), b"ok");
    assert_eq!(hits.load(Ordering::SeqCst), 2);
    let (url, _) = serve(|_| (200, Vec::new(), Duration::from_secs(2)));
    assert_eq!(client(0).get(&url), Err(Error::Timeout));
}

#[test]
fn bodies_over_the_cap_fail() {
    let (url, _) = serve(|_| (200, vec![b'x'; 4096], Duration::ZERO));
    let config = ClientConfig { max_body: 1024, ..ClientConfig::default() };
    assert!(matches!(Client::new(config).unwrap().get(&url), Err(Error::TooLarge(_))));
}

#[test]
fn posts_send_the_json_body() {
    let (url, _) = serve(|_| (200, b"[1,2]".to_vec(), Duration::ZERO));
    let value: Vec<i32> = client(0).post_json(&url, &serde_json::json!({"dataset": ["/a/b/C"]})).unwrap();
    assert_eq!(value, [1, 2]);
    assert!(client(0).get_json::<Vec<i32>>(&format!("{url}/x")).is_ok());
}

#[test]
fn refused_connections_are_transport_errors() {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let error = client(1).get(&format!("http://127.0.0.1:{port}/")).unwrap_err();
    assert!(matches!(error, Error::Transport(_)), "{error:?}");
}

#[test]
fn bad_tls_files_are_config_errors() {
    let dir = std::env::temp_dir().join(format!("http-client-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let junk = dir.join("junk.pem");
    std::fs::write(&junk, "not a pem").unwrap();
    let with = |cert: Option<&Path>, key: Option<&Path>, ca: Option<&Path>| {
        Client::new(ClientConfig { cert: cert.map(Into::into), key: key.map(Into::into), ca: ca.map(Into::into), ..ClientConfig::default() })
    };
    assert!(matches!(with(Some(&junk), None, None), Err(Error::Config(_))));
    assert!(matches!(with(Some(&junk), Some(&junk), None), Err(Error::Config(_))));
    assert!(matches!(with(None, None, Some(&junk)), Err(Error::Config(_))));
    assert!(matches!(with(None, None, Some(&dir.join("missing.pem"))), Err(Error::Config(_))));
}

#[test]
fn exchange_keeps_the_body_of_error_answers() {
    let (url, hits) = serve(|_| (400, br#"{"message": "run 5 has no lumisections"}"#.to_vec(), Duration::ZERO));
    let reply = client(3).exchange(&Request::new("POST", &url)).unwrap();
    assert_eq!(reply.status, 400);
    assert_eq!(reply.message().as_deref(), Some("run 5 has no lumisections"));
    assert_eq!(reply.describe(), "HTTP 400: run 5 has no lumisections");
    assert_eq!(hits.load(Ordering::SeqCst), 1, "a 4xx is not retried");
    assert_eq!(reply.clone().into_body(), Err(Error::Status(400)));
    assert_eq!(client(0).send(&Request::new("GET", &url)), Err(Error::Status(400)), "send keeps its API");

    let (url, hits) = serve(|i| if i == 0 { (503, b"busy".to_vec(), Duration::ZERO) } else { (502, b"<html>bad gateway</html>".to_vec(), Duration::ZERO) });
    let reply = client(1).exchange(&Request::new("GET", &url)).unwrap();
    assert_eq!((reply.status, reply.describe()), (502, "HTTP 502: <html>bad gateway</html>".to_owned()));
    assert_eq!(hits.load(Ordering::SeqCst), 2, "5xx retried, the last answer kept");

    let (url, _) = serve(|_| (200, b"ok".to_vec(), Duration::ZERO));
    let reply = client(0).exchange(&Request::new("GET", &url)).unwrap();
    assert!(reply.is_success());
    assert_eq!(reply.into_body().unwrap(), b"ok");
    let json = Reply { status: 403, body: br#"{"error": "Not allowed", "message": 3}"#.to_vec() };
    assert_eq!(json.message().as_deref(), Some("Not allowed"));
    assert_eq!(Reply { status: 404, body: Vec::new() }.describe(), "HTTP 404");
}
