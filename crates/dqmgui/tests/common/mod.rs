//! Shared setup of the API tests: a `MemoryStore` with the five fixtures registered and the repo layouts loaded.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use dqmgui::{DataRoot, Service};
use kv_api::{KvStore, MemoryStore};
use serde_json::{json, Value};
use web_kit::{Reply, Request};

pub const TOKEN: &str = "s3cret";
pub const ZB: &str = "ZeroBias/Run2024A-PromptReco-v1/DQMIO";
pub const TREE: &str = "ZeroBias/Run2024A-PromptReco-v1/DQMIOTREE";
pub const EDGE: &str = "Edge/Cases-v1/DQMIO";
pub const PB: &str = "Global/Online/ALL";

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn recorded(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/recorded").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).trim_end().to_owned()
}

pub fn service(store: &dyn KvStore) -> Service<'_> {
    Service {
        store,
        data: DataRoot { mount: "/data".into(), dir: repo().join("tests/fixtures/dqm") },
        layouts_dir: repo().join("layouts"),
        settings: dqmgui::Settings::fixed(TOKEN, 1_700_000_000),
    }
}

pub fn item(dataset: &str, run: u32, lumi: u32, file: &str, format: u8) -> Value {
    json!({"dataset": format!("/{dataset}"), "run": run.to_string(), "lumi": lumi.to_string(), "file": format!("/data/{file}"), "fileformat": format})
}

pub fn all_fixtures() -> Vec<Value> {
    let mut items = vec![
        item(ZB, 123456, 0, "DQM_V0001_R000123456__ZeroBias__Run2024A-PromptReco-v1__DQMIO.root", 1),
        item(ZB, 123457, 0, "DQM_V0001_R000123457__ZeroBias__Run2024A-PromptReco-v1__DQMIO.root", 1),
        item(EDGE, 999999, 0, "DQM_V0001_R000999999__Edge__Cases-v1__DQMIO.root", 1),
        item(PB, 123456, 0, "run123456_ls0003_streamDQMHistograms.pb", 3),
    ];
    items.extend((0..4).map(|lumi| item(TREE, 123456, lumi, "DQMIO_R000123456_ZeroBias.root", 2)));
    items
}

pub fn post(store: &dyn KvStore, path: &str, body: &[u8], token: Option<&str>) -> Reply {
    let mut req = Request { method: "POST".into(), path: path.into(), body: body.to_vec(), ..Default::default() };
    if let Some(token) = token {
        req.headers.push(("authorization".into(), format!("Bearer {token}")));
    }
    dqmgui::handle(&req, &service(store))
}

pub fn setup(items: &[Value]) -> MemoryStore {
    let store = MemoryStore::new();
    let reply = post(&store, "/api/v1/register", Value::from(items.to_vec()).to_string().as_bytes(), Some(TOKEN));
    assert_eq!((reply.status, String::from_utf8_lossy(&reply.body).as_ref()), (201, "201: Created"));
    assert_eq!(post(&store, "/api/v1/layouts", b"", Some(TOKEN)).status, 200);
    store
}

pub fn get(store: &dyn KvStore, path: &str) -> Reply {
    dqmgui::handle(&Request::get(path), &service(store))
}

pub fn body(store: &dyn KvStore, path: &str) -> String {
    let reply = get(store, path);
    assert_eq!(reply.status, 200, "{path}: {}", String::from_utf8_lossy(&reply.body));
    String::from_utf8(reply.body).unwrap()
}

