//! `GET /api/health` (§7.5): role, read-only state and replication lag, taken from the store's own status:
//! a Redis replica's `INFO replication`, or the metadata a SQLite snapshot records inside itself.

use kv_api::KvStore;
use serde_json::{json, Value};

/// Where a SQLite snapshot keeps its metadata (written by `kv_store::snapshot_file`; a test ties the two).
pub const SNAPSHOT_META_KEY: &str = "dqm-spin/snapshot";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Primary,
    Secondary,
}

/// What the store says about its replication.
#[derive(Debug, Clone, PartialEq)]
pub enum Replication {
    /// Nothing to report (a primary on SQLite, or a secondary whose file holds no snapshot metadata).
    Unknown,
    /// The Redis server's `INFO replication`, as `key:value` lines.
    Redis(RedisInfo),
    /// The Redis server could not be asked.
    RedisUnavailable(String),
    /// A SQLite snapshot: when it was taken (its id) and as Unix seconds.
    Snapshot { taken_at: String, taken_at_unix: f64 },
}

/// The fields of `INFO replication` the health report uses.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RedisInfo {
    /// `master` or `slave`.
    pub role: String,
    pub link_status: Option<String>,
    pub master_repl_offset: Option<i64>,
    pub slave_repl_offset: Option<i64>,
    pub last_io_seconds_ago: Option<f64>,
    pub link_down_since_seconds: Option<f64>,
}

impl RedisInfo {
    /// Parses the `INFO replication` text (`# Replication`, then `key:value` lines).
    pub fn parse(text: &str) -> RedisInfo {
        let mut info = RedisInfo::default();
        for line in text.lines() {
            let Some((key, value)) = line.trim_end().split_once(':') else { continue };
            let number = || value.parse::<f64>().ok().filter(|v| v.is_finite());
            match key {
                "role" => info.role = value.to_owned(),
                "master_link_status" => info.link_status = Some(value.to_owned()),
                "master_repl_offset" => info.master_repl_offset = value.parse().ok(),
                "slave_repl_offset" => info.slave_repl_offset = value.parse().ok(),
                "master_last_io_seconds_ago" => info.last_io_seconds_ago = number().filter(|v| *v >= 0.0),
                "master_link_down_since_seconds" => info.link_down_since_seconds = number().filter(|v| *v >= 0.0),
                _ => {}
            }
        }
        info
    }

    fn is_replica(&self) -> bool {
        self.role == "slave" || self.role == "replica"
    }
}

/// The health report.
#[derive(Debug, Clone, PartialEq)]
pub struct Health {
    pub role: Role,
    pub read_only: bool,
    pub last_replicated_txn: Option<String>,
    pub lag_s: Option<f64>,
    /// Details of the source, reported as `replication` (absent when there is nothing to say).
    pub replication: Option<Value>,
}

impl Health {
    /// The report from the deployment's `role`/`read_only` variables (a missing role means a primary; a
    /// secondary is read-only unless told otherwise) and the store's replication status at `now_unix`.
    /// A Redis server's own role wins over the variable.
    pub fn new(lookup: impl Fn(&str) -> Option<String>, replication: Replication, now_unix: f64) -> Health {
        let mut role = if lookup("role").as_deref() == Some("secondary") { Role::Secondary } else { Role::Primary };
        if let Replication::Redis(info) = &replication {
            role = if info.is_replica() { Role::Secondary } else { Role::Primary };
        }
        let read_only = lookup("read_only").map_or(role == Role::Secondary, |v| v == "true");
        let mut health = Health { role, read_only, last_replicated_txn: None, lag_s: None, replication: None };
        match replication {
            Replication::Unknown => {}
            Replication::RedisUnavailable(error) => {
                health.replication = Some(json!({ "source": "redis", "error": error }));
            }
            Replication::Redis(info) => {
                let offset_lag = match (info.master_repl_offset, info.slave_repl_offset) {
                    (Some(master), Some(replica)) if info.is_replica() => Some((master - replica).max(0)),
                    _ => None,
                };
                health.replication = Some(json!({
                    "source": "redis", "redis_role": info.role, "link_status": info.link_status,
                    "master_repl_offset": info.master_repl_offset, "slave_repl_offset": info.slave_repl_offset,
                    "offset_lag": offset_lag,
                }));
                if info.is_replica() {
                    health.last_replicated_txn =
                        info.slave_repl_offset.or(info.master_repl_offset).map(|o| o.to_string());
                    health.lag_s = if info.link_status.as_deref() == Some("up") {
                        info.last_io_seconds_ago
                    } else {
                        info.link_down_since_seconds
                    };
                }
            }
            Replication::Snapshot { taken_at, taken_at_unix } => {
                health.replication = Some(json!({ "source": "sqlite-snapshot", "taken_at": taken_at }));
                if role == Role::Secondary {
                    health.lag_s = Some((now_unix - taken_at_unix).max(0.0).round());
                    health.last_replicated_txn = Some(taken_at);
                }
            }
        }
        health
    }

    pub fn to_json(&self) -> Value {
        let mut body = json!({
            "role": match self.role { Role::Primary => "primary", Role::Secondary => "secondary" },
            "read_only": self.read_only,
            "last_replicated_txn": self.last_replicated_txn,
            "lag_s": self.lag_s,
        });
        if let Some(replication) = &self.replication {
            body["replication"] = replication.clone();
        }
        body
    }
}

/// The snapshot metadata a SQLite secondary's store holds, if any.
pub fn snapshot_replication(store: &dyn KvStore) -> Replication {
    let meta = store.get(SNAPSHOT_META_KEY).ok().flatten().and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok());
    match meta {
        Some(meta) if meta["format"] == "dqm-spin-snapshot" => match (meta["taken_at"].as_str(), meta["taken_at_unix"].as_f64()) {
            (Some(taken_at), Some(unix)) => Replication::Snapshot { taken_at: taken_at.to_owned(), taken_at_unix: unix },
            _ => Replication::Unknown,
        },
        _ => Replication::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPLICA_INFO: &str = "# Replication\r\nrole:slave\r\nmaster_host:127.0.0.1\r\nmaster_port:6379\r\n\
        master_link_status:up\r\nmaster_last_io_seconds_ago:2\r\nmaster_sync_in_progress:0\r\n\
        slave_read_repl_offset:1234\r\nslave_repl_offset:1234\r\nslave_priority:100\r\nslave_read_only:1\r\n\
        connected_slaves:0\r\nmaster_repl_offset:1300\r\n";

    fn vars(role: &'static str) -> impl Fn(&str) -> Option<String> {
        move |name| (name == "role").then(|| role.to_owned())
    }

    #[test]
    fn a_redis_replica_reports_its_own_offset_and_lag() {
        let health = Health::new(vars("primary"), Replication::Redis(RedisInfo::parse(REPLICA_INFO)), 0.0);
        let body = health.to_json();
        assert_eq!((&body["role"], &body["read_only"]), (&json!("secondary"), &json!(true)));
        assert_eq!((&body["last_replicated_txn"], &body["lag_s"]), (&json!("1234"), &json!(2.0)));
        assert_eq!(body["replication"]["offset_lag"], json!(66));
        let down = REPLICA_INFO.replace("link_status:up", "link_status:down") + "master_link_down_since_seconds:17\r\n";
        let health = Health::new(vars("secondary"), Replication::Redis(RedisInfo::parse(&down)), 0.0);
        assert_eq!((health.lag_s, health.replication.unwrap()["link_status"].clone()), (Some(17.0), json!("down")));
    }

    #[test]
    fn a_redis_primary_is_a_read_write_primary() {
        let info = RedisInfo::parse("# Replication\r\nrole:master\r\nconnected_slaves:1\r\nmaster_repl_offset:99\r\n");
        let health = Health::new(vars("secondary"), Replication::Redis(info), 0.0);
        assert_eq!((health.role, health.read_only, health.lag_s), (Role::Primary, false, None));
        assert_eq!(health.replication.unwrap()["master_repl_offset"], json!(99));
    }

    #[test]
    fn a_snapshot_secondary_reports_the_snapshot_time_and_age() {
        let snapshot = || Replication::Snapshot { taken_at: "2026-12-01T19:00:00Z".into(), taken_at_unix: 1000.0 };
        let health = Health::new(vars("secondary"), snapshot(), 1042.4).to_json();
        assert_eq!(
            health,
            json!({"role": "secondary", "read_only": true, "last_replicated_txn": "2026-12-01T19:00:00Z", "lag_s": 42.0,
                   "replication": {"source": "sqlite-snapshot", "taken_at": "2026-12-01T19:00:00Z"}})
        );
        // A primary restored from an archive keeps the metadata but is not lagging behind anything.
        let primary = Health::new(|_| None, snapshot(), 1042.0);
        assert_eq!((primary.role, primary.read_only, primary.lag_s), (Role::Primary, false, None));
        let unknown = Health::new(|_| None, Replication::Unknown, 0.0).to_json();
        assert_eq!(unknown, json!({"role": "primary", "read_only": false, "last_replicated_txn": null, "lag_s": null}));
    }

    #[test]
    fn an_unreachable_redis_is_reported_not_hidden() {
        let health = Health::new(vars("secondary"), Replication::RedisUnavailable("connection refused".into()), 0.0);
        assert_eq!(health.role, Role::Secondary);
        assert_eq!(health.to_json()["replication"]["error"], json!("connection refused"));
    }
}
