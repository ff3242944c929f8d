//! The fff_dqmtools sync protocol (spec §3.2): a JSON envelope whose `messages` are JSON strings.

use serde_json::{json, Value};

/// One `update_headers` message: a chunk of at most 1000 headers.
#[derive(Debug, Clone, PartialEq)]
pub struct HeaderChunk {
    /// `rev`: the chunk's first and last revision.
    pub first_rev: i64,
    pub last_rev: i64,
    /// The overall last revision of the answer.
    pub sync_to_rev: i64,
    pub headers: Vec<Value>,
}

pub fn sync_request(known_rev: i64) -> String {
    envelope(&json!({"event": "sync_request", "known_rev": known_rev.to_string()}))
}

pub fn documents_request(ids: &[&str]) -> String {
    envelope(&json!({"event": "request_documents", "ids": ids}))
}

/// Wraps one message the way fff_web expects it: JSON inside JSON.
pub fn envelope(message: &Value) -> String {
    json!({"messages": [message.to_string()]}).to_string()
}

/// The decoded messages of an envelope (each one is itself JSON text).
pub fn messages(body: &str) -> Result<Vec<Value>, String> {
    let outer: Value =
        serde_json::from_str(body).map_err(|e| format!("answer is not JSON: {e}"))?;
    let list = outer
        .get("messages")
        .and_then(Value::as_array)
        .ok_or("answer has no \"messages\" list")?;
    list.iter()
        .map(|m| {
            let text = m.as_str().ok_or("a message is not a JSON string")?;
            serde_json::from_str(text).map_err(|e| format!("a message is not JSON: {e}"))
        })
        .collect()
}

fn event(message: &Value) -> &str {
    message
        .get("event")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// Every `update_headers` chunk of a `sync_request` answer (the original reads only the first).
pub fn header_chunks(body: &str) -> Result<Vec<HeaderChunk>, String> {
    messages(body)?
        .into_iter()
        .filter(|m| event(m) == "update_headers")
        .map(|m| {
            let rev = |i: usize| m.get("rev").and_then(|r| r.get(i)).and_then(Value::as_i64);
            let (first_rev, last_rev) = (
                rev(0).ok_or("chunk without rev")?,
                rev(1).ok_or("chunk without rev")?,
            );
            Ok(HeaderChunk {
                first_rev,
                last_rev,
                sync_to_rev: m
                    .get("sync_to_rev")
                    .and_then(Value::as_i64)
                    .unwrap_or(last_rev),
                headers: match m.get("headers") {
                    Some(Value::Array(headers)) => headers.clone(),
                    _ => return Err("chunk without headers".to_owned()),
                },
            })
        })
        .collect()
}

/// The documents of a `request_documents` answer, across every `update_documents` message.
pub fn documents(body: &str) -> Result<Vec<Value>, String> {
    let mut out = Vec::new();
    for message in messages(body)? {
        if event(&message) == "update_documents" {
            match message.get("documents") {
                Some(Value::Array(docs)) => out.extend(docs.iter().cloned()),
                _ => return Err("update_documents without documents".to_owned()),
            }
        }
    }
    Ok(out)
}

/// One host of a cluster-status answer.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterHost {
    pub name: String,
    pub up: bool,
    pub message: Option<String>,
}

/// `{"<host>.cms": {"up": bool, "msg": str|null}, …}` in host-name order.
pub fn cluster_status(body: &str) -> Result<Vec<ClusterHost>, String> {
    let value: Value =
        serde_json::from_str(body).map_err(|e| format!("cluster status is not JSON: {e}"))?;
    let hosts = value.as_object().ok_or("cluster status is not an object")?;
    hosts
        .iter()
        .map(|(name, state)| {
            Ok(ClusterHost {
                name: name.clone(),
                up: state
                    .get("up")
                    .and_then(Value::as_bool)
                    .ok_or("host without \"up\"")?,
                message: state.get("msg").and_then(|m| {
                    m.as_str()
                        .map(str::to_owned)
                        .or_else(|| (!m.is_null()).then(|| m.to_string()))
                }),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_nest_json_in_json() {
        assert_eq!(
            sync_request(7911216),
            r#"{"messages":["{\"event\":\"sync_request\",\"known_rev\":\"7911216\"}"]}"#
        );
        let docs = documents_request(&["a", "b"]);
        assert_eq!(messages(&docs).unwrap()[0]["ids"], json!(["a", "b"]));
    }

    #[test]
    fn every_chunk_is_read() {
        let chunk = |a: i64, b: i64| {
            json!({"event": "update_headers", "rev": [a, b], "sync_to_rev": 9, "headers": [{"_id": a.to_string()}]}).to_string()
        };
        let body = json!({"messages": [chunk(1, 4), chunk(5, 9)]}).to_string();
        let chunks = header_chunks(&body).unwrap();
        assert_eq!(chunks.len(), 2);
        assert_eq!(
            (
                chunks[1].first_rev,
                chunks[1].last_rev,
                chunks[1].sync_to_rev
            ),
            (5, 9, 9)
        );
        assert!(header_chunks(r#"{"messages": []}"#).unwrap().is_empty());
    }

    #[test]
    fn bad_answers_are_errors() {
        assert!(header_chunks("<html>login</html>").is_err());
        assert!(header_chunks(r#"{"messages": [1]}"#).is_err());
        assert!(cluster_status(r#"{"h": {"msg": null}}"#).is_err());
        assert!(cluster_status("[]").is_err());
    }
}
