//! NectarCAM DQM viewer component: everything below `/nectarcam`, a thin adapter over `nectarcam::Viewer`.
//!
//! Environment: the `default` key-value store (read-only on a secondary); variables `role`
//! (`primary`|`secondary`), `read_only`, `last_replicated_txn` and `lag_s`, which the host fills
//! from its store's replication status for `/api/health`.

use nectarcam::{Health, Viewer};
use spin_sdk::http::{Request as SpinRequest, Response as SpinResponse};
use spin_sdk::http_component;

#[http_component]
fn handle(request: SpinRequest) -> SpinResponse {
    web_kit::spin::serve_with_store(request, |req, store| {
        let health = Health::from_lookup(|name| {
            spin_sdk::variables::get(name)
                .ok()
                .filter(|v| !v.is_empty())
        });
        Viewer {
            store,
            health: &health,
        }
        .handle(req)
    })
}
