//! The one error type: an HTTP status plus the JSON body the original's clients expect.

use serde_json::{json, Value};
use std::fmt;

/// A failed request: validation errors carry `{"err": …}` (the key clients test for), auth and
/// conflicts carry `{"message": …}`.
#[derive(Debug, Clone, PartialEq)]
pub struct RrError {
    pub status: u16,
    pub body: Value,
}

pub type RrResult<T> = Result<T, RrError>;

impl RrError {
    pub fn bad_request(msg: impl Into<String>) -> Self {
        Self {
            status: 400,
            body: json!({"err": msg.into()}),
        }
    }
    pub fn not_found(msg: impl Into<String>) -> Self {
        Self {
            status: 404,
            body: json!({"err": msg.into()}),
        }
    }
    pub fn conflict(msg: impl Into<String>) -> Self {
        Self {
            status: 409,
            body: json!({"message": msg.into()}),
        }
    }
    pub fn unauthorized(msg: impl Into<String>) -> Self {
        Self {
            status: 401,
            body: json!({"message": msg.into()}),
        }
    }
    pub fn forbidden(msg: impl Into<String>) -> Self {
        Self {
            status: 403,
            body: json!({"message": msg.into()}),
        }
    }
    pub fn internal(msg: impl Into<String>) -> Self {
        Self {
            status: 500,
            body: json!({"err": msg.into()}),
        }
    }

    /// The message text, whichever key holds it.
    pub fn message(&self) -> &str {
        self.body
            .get("err")
            .or_else(|| self.body.get("message"))
            .and_then(Value::as_str)
            .unwrap_or("")
    }
}

impl fmt::Display for RrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status, self.message())
    }
}

impl std::error::Error for RrError {}

impl From<kv_api::KvError> for RrError {
    /// A read-only replica is 503 (retry on the primary); any other store failure is 500.
    fn from(e: kv_api::KvError) -> Self {
        match e {
            kv_api::KvError::ReadOnly => RrError {
                status: 503,
                body: json!({"message": "read-only replica"}),
            },
            other => RrError::internal(other.to_string()),
        }
    }
}

impl From<serde_json::Error> for RrError {
    fn from(e: serde_json::Error) -> Self {
        RrError::internal(format!("corrupt stored record: {e}"))
    }
}
