use kv_api::KvError;

/// A response, independent of the host's HTTP types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Reply { status, headers: vec![("content-type".into(), content_type.into())], body: body.into() }
    }

    /// A JSON body that is already serialised (some APIs need byte-exact separators).
    pub fn json_text(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Reply::new(status, "application/json; charset=utf-8", body)
    }

    pub fn json(status: u16, value: &serde_json::Value) -> Self {
        Reply::json_text(status, value.to_string())
    }

    /// The project-wide error shape: `{"message": …}`.
    pub fn error(status: u16, message: impl AsRef<str>) -> Self {
        Reply::json(status, &serde_json::json!({ "message": message.as_ref() }))
    }

    pub fn png(bytes: Vec<u8>) -> Self {
        Reply::new(200, "image/png", bytes)
    }

    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_ascii_lowercase(), value.into()));
        self
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// The reply for a store failure: a read-only replica answers 503, anything else 500.
pub fn kv_failure(err: &KvError) -> Reply {
    match err {
        KvError::ReadOnly => Reply::error(503, "read-only replica"),
        other => Reply::error(500, format!("storage failure: {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_json_messages() {
        let reply = Reply::error(400, "bad \"w\"");
        assert_eq!(reply.status, 400);
        assert_eq!(reply.header("Content-Type"), Some("application/json; charset=utf-8"));
        let body: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
        assert_eq!(body["message"], "bad \"w\"");
    }

    #[test]
    fn read_only_store_is_503() {
        assert_eq!(kv_failure(&KvError::ReadOnly).status, 503);
        assert_eq!(kv_failure(&KvError::Other("disk".into())).status, 500);
    }
}
