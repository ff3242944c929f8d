//! `GET /api/health` (§7.5): role, read-only state and replication lag, all supplied by the host.

use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Primary,
    Secondary,
}

/// What the host knows about its store (a replica reports its replication status from the store itself).
#[derive(Debug, Clone, PartialEq)]
pub struct Health {
    pub role: Role,
    pub read_only: bool,
    pub last_replicated_txn: Option<String>,
    pub lag_s: Option<f64>,
}

impl Health {
    /// The host's values by name (`role` = `primary`|`secondary`, `read_only` = `true`|`false`,
    /// `last_replicated_txn`, `lag_s`), e.g. from Spin variables. A missing role means a primary;
    /// a secondary is read-only unless told otherwise.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Health {
        let role = if lookup("role").as_deref() == Some("secondary") {
            Role::Secondary
        } else {
            Role::Primary
        };
        let read_only = lookup("read_only").map_or(role == Role::Secondary, |v| v == "true");
        Health {
            role,
            read_only,
            last_replicated_txn: lookup("last_replicated_txn").filter(|t| !t.is_empty()),
            lag_s: lookup("lag_s")
                .and_then(|v| v.parse().ok())
                .filter(|v: &f64| v.is_finite()),
        }
    }

    pub fn to_json(&self) -> Value {
        json!({
            "role": match self.role { Role::Primary => "primary", Role::Secondary => "secondary" },
            "read_only": self.read_only,
            "last_replicated_txn": self.last_replicated_txn,
            "lag_s": self.lag_s,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secondary_reports_its_lag() {
        let vars = |name: &str| match name {
            "role" => Some("secondary".to_owned()),
            "last_replicated_txn" => Some("1-2".to_owned()),
            "lag_s" => Some("3".to_owned()),
            _ => None,
        };
        let health = Health::from_lookup(vars).to_json();
        assert_eq!(
            health,
            json!({"role": "secondary", "read_only": true, "last_replicated_txn": "1-2", "lag_s": 3.0})
        );
        let primary = Health::from_lookup(|_| None).to_json();
        assert_eq!(
            primary,
            json!({"role": "primary", "read_only": false, "last_replicated_txn": null, "lag_s": null})
        );
    }
}
