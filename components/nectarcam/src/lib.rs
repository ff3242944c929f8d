//! NectarCAM DQM viewer component: everything below `/nectarcam`, a thin adapter over `nectarcam::Viewer`.
//!
//! Environment: the `default` key-value store (read-only on a secondary); variables `role`
//! (`primary`|`secondary`) and `read_only` (empty: follows the role). `/api/health` reports replication from
//! the store itself: with `redis_replica_url` set, that Redis server's `INFO replication` over Spin's
//! outbound Redis (the URL must be in `allowed_outbound_hosts`); otherwise the metadata a SQLite snapshot
//! records inside the file.

use std::time::{SystemTime, UNIX_EPOCH};

use nectarcam::health::snapshot_replication;
use nectarcam::{Health, RedisInfo, Replication, Viewer};
use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::http_component;
use spin_sdk::redis::{Connection, RedisParameter, RedisResult};
use web_kit::spin::variable;

/// The Redis server's own `INFO replication`.
fn redis_replication(url: &str) -> Replication {
    let reply = Connection::open(url).and_then(|conn| conn.execute("INFO", &[RedisParameter::Binary(b"replication".to_vec())]));
    match reply.as_deref() {
        Ok([RedisResult::Binary(text), ..]) => Replication::Redis(RedisInfo::parse(&String::from_utf8_lossy(text))),
        Ok([RedisResult::Status(text), ..]) => Replication::Redis(RedisInfo::parse(text)),
        Ok(other) => Replication::RedisUnavailable(format!("unexpected INFO reply {other:?}")),
        Err(err) => Replication::RedisUnavailable(err.to_string()),
    }
}

#[http_component]
fn handle(request: IncomingRequest, out: ResponseOutparam) {
    web_kit::spin::serve_with_store(request, out, |req, store| {
        let health = || {
            let replication = match variable("redis_replica_url") {
                Some(url) => redis_replication(&url),
                None => snapshot_replication(store),
            };
            let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64());
            Health::new(variable, replication, now)
        };
        Viewer { store, health: &health }.handle(req)
    })
}
