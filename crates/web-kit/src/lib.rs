//! HTTP plumbing every component shares: plain request/reply types, query decoding, JSON errors, bearer auth.
//!
//! Library crates take a [`Request`] and return a [`Reply`], so they are tested natively without spin-sdk;
//! a component only reads the request and writes the reply through wasi:http (feature `spin`, module [`spin`]).

mod auth;
mod query;
mod reply;
#[cfg(feature = "spin")]
pub mod spin;

pub use auth::{bearer_token, constant_time_eq, require_bearer};
pub use query::{percent_decode, Query};
pub use reply::{kv_failure, Reply};

/// An incoming request, already detached from the host's types.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub method: String,
    /// The path without the query, not percent-decoded (as routed).
    pub path: String,
    /// The raw query string, without `?`.
    pub query: String,
    /// Header names lowercase, in arrival order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn get(path_and_query: &str) -> Self {
        let (path, query) = path_and_query.split_once('?').unwrap_or((path_and_query, ""));
        Request { method: "GET".into(), path: path.into(), query: query.into(), ..Default::default() }
    }

    /// The first header with this (case-insensitive) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn query(&self) -> Query {
        Query::parse(&self.query)
    }

    /// The route-relative path Spin passes in `spin-path-info` (empty for exact routes).
    pub fn path_info(&self) -> &str {
        self.header("spin-path-info").unwrap_or("")
    }
}
