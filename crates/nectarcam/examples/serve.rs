//! A throw-away local server for looking at the viewer: ingests the fixtures into a memory store and
//! serves `/nectarcam/…` over plain HTTP/1.1 (one connection at a time). Not the deployment path: the
//! component runs behind the gateway.
//!
//! `cargo run --release -p nectarcam --example serve -- 127.0.0.1:8765 [FILE …]`

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;

use kv_api::MemoryStore;
use nectarcam::{ingest, layout, Health, Replication, RunKey, Viewer};
use web_kit::Request;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:8765".into());
    let fixtures =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/nectarcam");
    let mut files: Vec<(String, std::path::PathBuf)> =
        args.map(|f| (String::new(), f.into())).collect();
    if files.is_empty() {
        files = vec![
            (
                "NectarCAMQM_Run6310".into(),
                fixtures.join("NectarCAMQM_DQM_Run6310.tar.gz"),
            ),
            (
                "NectarCAM2_Run1000".into(),
                fixtures.join("NectarCAM2_Run1000_Results.fits"),
            ),
        ];
    }
    let store = MemoryStore::new();
    for (i, (key, path)) in files.iter().enumerate() {
        let key = if key.is_empty() {
            format!("NectarCAMQM_Run{}", 1 + i)
        } else {
            key.clone()
        };
        let run = ingest::load_results(path).map_err(|e| std::io::Error::other(e.to_string()))?;
        layout::write_run(&store, &RunKey::parse(&key).expect("key").key(), &run, true)
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        eprintln!("loaded {key} from {}", path.display());
    }
    let health = || Health::new(|_| None, Replication::Unknown, 0.0);
    let viewer = Viewer {
        store: &store,
        health: &health,
    };
    let listener = TcpListener::bind(&addr)?;
    eprintln!("http://{addr}/nectarcam/");
    for stream in listener.incoming() {
        let mut stream = stream?;
        let mut reader = BufReader::new(stream.try_clone()?);
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let mut parts = line.split_whitespace();
        let (method, target) = (
            parts.next().unwrap_or("GET").to_owned(),
            parts.next().unwrap_or("/").to_owned(),
        );
        let mut headers = Vec::new();
        let mut length = 0usize;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header)? == 0 || header.trim().is_empty() {
                break;
            }
            if let Some((name, value)) = header.trim_end().split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap_or(0).min(1 << 20);
                }
                headers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        let mut request = Request::get(&target);
        request.method = method;
        request.headers = headers;
        request.body = body;
        let reply = viewer.handle(&request);
        write!(
            stream,
            "HTTP/1.1 {} X\r\ncontent-length: {}\r\nconnection: close\r\n",
            reply.status,
            reply.body.len()
        )?;
        for (name, value) in &reply.headers {
            write!(stream, "{name}: {value}\r\n")?;
        }
        stream.write_all(b"\r\n")?;
        stream.write_all(&reply.body)?;
    }
    Ok(())
}
