//! NectarCAM DQM viewer component: everything below `/nectarcam`, a thin adapter over `nectarcam::Viewer`.
//!
//! Environment: the `default` key-value store (read-only on a secondary); variables `role`
//! (`primary`|`secondary`), `read_only`, `last_replicated_txn` and `lag_s`, which the host fills
//! from its store's replication status for `/api/health`.

use nectarcam::{Health, Viewer};
use spin_kv_guest::SpinKvStore;
use spin_sdk::http::{Request as SpinRequest, Response as SpinResponse};
use spin_sdk::http_component;
use web_kit::kv_failure;

#[http_component]
fn handle(request: SpinRequest) -> SpinResponse {
    web_kit::spin::serve(request, |req| {
        let store = match SpinKvStore::open_default() {
            Ok(store) => store,
            Err(e) => return kv_failure(&e),
        };
        let health = Health::from_lookup(|name| {
            spin_sdk::variables::get(name)
                .ok()
                .filter(|v| !v.is_empty())
        });
        Viewer {
            store: &store,
            health: &health,
        }
        .handle(req)
    })
}
