//! Auth as pure logic: who is calling, and may they call this route.
//!
//! Identity headers (`email`, `egroups`) are set by the SSO proxy and are trusted only when the request
//! carries the proxy's shared secret; the automatic writers authenticate with the admin token
//! (`authorization: Bearer …`) and become `auto@auto`. There is no e-mail based bypass. Reads are public;
//! a write without identity is 401, a write by someone no permission covers is 403.

use crate::error::{RrError, RrResult};
use crate::model::Actor;
use regex_lite::Regex;
use serde::Deserialize;

/// The header the proxy adds with its shared secret.
pub const PROXY_SECRET_HEADER: &str = "x-rr-proxy-secret";

/// Any identified user (used by routes that only need to know who asks, such as json_portal/generate).
pub const ANY_USER: &str = "*";

/// One permission row: e-groups that may call routes matching `route` (a regex over the path below
/// `/rr/api`, anchored) with `method` (`*` for any).
#[derive(Debug, Clone, Deserialize)]
pub struct Permission {
    #[serde(default = "any_method")]
    pub method: String,
    pub route: String,
    pub egroups: Vec<String>,
}

fn any_method() -> String {
    "*".into()
}

/// The permission table used when none is configured.
pub const DEFAULT_PERMISSIONS: &str = r#"[
  {"method": "*", "route": ".*", "egroups": ["cms-dqm-runregistry-experts"]},
  {"method": "PUT", "route": "/lumisections/edit_(rr|oms)_lumisections", "egroups": ["cms-dqm-runregistry-shifters", "cms-dqm-certification-editors"]},
  {"method": "POST", "route": "/runs/move_run/OPEN/SIGNOFF", "egroups": ["cms-dqm-runregistry-shifters"]},
  {"method": "PUT", "route": "/manual_run_edit/[0-9]+/(class|significant)", "egroups": ["cms-dqm-runregistry-class-editors"]},
  {"method": "PUT", "route": "/manual_run_edit/[0-9]+/stop_reason", "egroups": ["cms-dqm-runregistry-shifters"]},
  {"method": "POST", "route": "/json_portal/generate", "egroups": ["*"]},
  {"method": "DELETE", "route": "/json_portal/json", "egroups": ["*"]}
]"#;

struct Rule {
    method: String,
    route: Regex,
    egroups: Vec<String>,
}

/// Secrets and the permission table (from Spin variables in the component).
pub struct AuthConfig {
    proxy_secret: Option<String>,
    admin_token: Option<String>,
    rules: Vec<Rule>,
}

/// Who sent a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    Anonymous,
    User { email: String, egroups: Vec<String> },
    Service,
}

impl AuthConfig {
    /// `permissions` is a JSON array of [`Permission`]; `None` uses [`DEFAULT_PERMISSIONS`]. Empty secrets disable that path.
    pub fn new(
        proxy_secret: Option<&str>,
        admin_token: Option<&str>,
        permissions: Option<&str>,
    ) -> RrResult<Self> {
        let table: Vec<Permission> =
            serde_json::from_str(permissions.unwrap_or(DEFAULT_PERMISSIONS))
                .map_err(|e| RrError::internal(format!("invalid permission table: {e}")))?;
        let rules = table
            .into_iter()
            .map(|p| {
                let route = Regex::new(&format!("^(?:{})$", p.route)).map_err(|e| {
                    RrError::internal(format!("invalid route regex {}: {e}", p.route))
                })?;
                Ok(Rule {
                    method: p.method.to_ascii_uppercase(),
                    route,
                    egroups: p.egroups,
                })
            })
            .collect::<RrResult<_>>()?;
        let non_empty = |s: Option<&str>| s.filter(|s| !s.is_empty()).map(str::to_owned);
        Ok(AuthConfig {
            proxy_secret: non_empty(proxy_secret),
            admin_token: non_empty(admin_token),
            rules,
        })
    }

    /// Reads the identity from request headers (`header(name)` with lower-case names).
    pub fn identify(&self, header: impl Fn(&str) -> Option<String>) -> Identity {
        if let (Some(token), Some(given)) = (&self.admin_token, header("authorization")) {
            if given
                .strip_prefix("Bearer ")
                .is_some_and(|g| same_secret(g.trim(), token))
            {
                return Identity::Service;
            }
        }
        let trusted = match (&self.proxy_secret, header(PROXY_SECRET_HEADER)) {
            (Some(secret), Some(given)) => same_secret(&given, secret),
            _ => false,
        };
        let email = header("email")
            .map(|e| e.trim().to_owned())
            .filter(|e| !e.is_empty());
        match (trusted, email) {
            (true, Some(email)) => {
                let egroups = header("egroups")
                    .unwrap_or_default()
                    .split([',', ';'])
                    .map(str::trim)
                    .filter(|g| !g.is_empty())
                    .map(str::to_owned)
                    .collect();
                Identity::User { email, egroups }
            }
            _ => Identity::Anonymous,
        }
    }

    /// Authorises a write: the actor to record, 401 without identity, 403 without a matching permission.
    pub fn authorize(&self, identity: &Identity, method: &str, path: &str) -> RrResult<Actor> {
        let (email, egroups) = match identity {
            Identity::Service => return Ok(Actor::service()),
            Identity::Anonymous => {
                return Err(RrError::unauthorized(
                    "You must be logged in (through the CERN SSO proxy) to make changes",
                ))
            }
            Identity::User { email, egroups } => (email, egroups),
        };
        let method = method.to_ascii_uppercase();
        let matching: Vec<&Rule> = self
            .rules
            .iter()
            .filter(|r| (r.method == "*" || r.method == method) && r.route.is_match(path))
            .collect();
        let allowed = matching.iter().any(|r| {
            r.egroups
                .iter()
                .any(|g| g == ANY_USER || egroups.contains(g))
        });
        if allowed {
            return Ok(Actor::user(email));
        }
        let mut needed: Vec<&str> = matching
            .iter()
            .flat_map(|r| r.egroups.iter().map(String::as_str))
            .collect();
        needed.sort_unstable();
        needed.dedup();
        let list: String = needed.iter().map(|g| format!("<li>{g}</li>")).collect();
        Err(RrError::forbidden(format!("<p>You are not allowed to {method} {path}. One of these e-groups is required:</p><ul>{list}</ul>")))
    }
}

/// Compares secrets without stopping at the first differing byte.
fn same_secret(given: &str, expected: &str) -> bool {
    let (a, b) = (given.as_bytes(), expected.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn headers(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    fn config() -> AuthConfig {
        AuthConfig::new(Some("proxy-secret"), Some("admin-token"), None).unwrap()
    }

    #[test]
    fn identity_headers_count_only_with_the_proxy_secret() {
        let c = config();
        let user = Identity::User {
            email: "a@cern.ch".into(),
            egroups: vec!["g1".into(), "g2".into()],
        };
        assert_eq!(
            c.identify(headers(&[
                ("email", "a@cern.ch"),
                ("egroups", "g1; g2"),
                (PROXY_SECRET_HEADER, "proxy-secret")
            ])),
            user
        );
        assert_eq!(
            c.identify(headers(&[("email", "a@cern.ch"), ("egroups", "g1")])),
            Identity::Anonymous
        );
        assert_eq!(
            c.identify(headers(&[
                ("email", "a@cern.ch"),
                (PROXY_SECRET_HEADER, "wrong-secret")
            ])),
            Identity::Anonymous
        );
        assert_eq!(
            c.identify(headers(&[(PROXY_SECRET_HEADER, "proxy-secret")])),
            Identity::Anonymous
        );
        // The original's hole: an auto@auto e-mail is just a user here, and without the secret nobody.
        assert_eq!(
            c.identify(headers(&[("email", "auto@auto")])),
            Identity::Anonymous
        );
        assert_eq!(
            c.identify(headers(&[("authorization", "Bearer admin-token")])),
            Identity::Service
        );
        assert_eq!(
            c.identify(headers(&[("authorization", "Bearer admin-tokeN")])),
            Identity::Anonymous
        );
        let open = AuthConfig::new(Some(""), Some(""), None).unwrap();
        assert_eq!(
            open.identify(headers(&[
                ("authorization", "Bearer "),
                ("email", "x"),
                (PROXY_SECRET_HEADER, "")
            ])),
            Identity::Anonymous
        );
    }

    #[test]
    fn writes_need_identity_then_a_matching_egroup() {
        let c = config();
        let err = c
            .authorize(
                &Identity::Anonymous,
                "PUT",
                "/lumisections/edit_rr_lumisections",
            )
            .unwrap_err();
        assert_eq!(err.status, 401);
        assert!(err.body["message"].is_string());
        let shifter = Identity::User {
            email: "s@cern.ch".into(),
            egroups: vec!["cms-dqm-runregistry-shifters".into()],
        };
        assert_eq!(
            c.authorize(&shifter, "PUT", "/lumisections/edit_rr_lumisections")
                .unwrap(),
            Actor::user("s@cern.ch")
        );
        assert_eq!(
            c.authorize(&shifter, "PUT", "/manual_run_edit/316701/stop_reason")
                .unwrap()
                .email,
            "s@cern.ch"
        );
        let err = c
            .authorize(&shifter, "PUT", "/manual_run_edit/316701/class")
            .unwrap_err();
        assert_eq!(err.status, 403);
        assert!(
            err.message().contains("cms-dqm-runregistry-class-editors")
                && err.message().contains("cms-dqm-runregistry-experts")
        );
        // The method is part of the permission.
        assert_eq!(
            c.authorize(&shifter, "DELETE", "/lumisections/edit_rr_lumisections")
                .unwrap_err()
                .status,
            403
        );
        assert_eq!(
            c.authorize(&shifter, "POST", "/versions/revert")
                .unwrap_err()
                .status,
            403
        );
        let expert = Identity::User {
            email: "e@cern.ch".into(),
            egroups: vec!["cms-dqm-runregistry-experts".into()],
        };
        assert!(c.authorize(&expert, "POST", "/versions/revert").is_ok());
        let nobody = Identity::User {
            email: "n@cern.ch".into(),
            egroups: vec![],
        };
        assert!(c
            .authorize(&nobody, "POST", "/json_portal/generate")
            .is_ok());
        assert_eq!(
            c.authorize(&nobody, "POST", "/json_portal/generate/x")
                .unwrap_err()
                .status,
            403
        );
        assert_eq!(
            c.authorize(&Identity::Service, "POST", "/ingest").unwrap(),
            Actor::service()
        );
    }

    #[test]
    fn a_bad_permission_table_is_an_error() {
        assert!(
            AuthConfig::new(None, None, Some("[{\"route\": \"(\", \"egroups\": []}]")).is_err()
        );
        assert!(AuthConfig::new(None, None, Some("{}")).is_err());
    }
}
