//! The logic of `spin up` that is not wasmtime: spin.toml, routing, headers, variables, outbound hosts, runtime config.
//!
//! - [`manifest`]: strict serde schema of Spin manifest v2 and its parse-time checks.
//! - [`app`]: a loaded, normalised application (automatic IDs, absolute paths, files, kv labels).
//! - [`ids`], [`template`], [`files`]: name rules, `{{ var }}` templates, `files` resolution.
//! - [`routes`], [`headers`]: routefinder-based router and the `spin-*` request headers.
//! - [`variables`], [`outbound`], [`runtime_config`]: variable providers, `allowed_outbound_hosts`, runtime-config TOML.

pub mod app;
pub mod files;
pub mod headers;
pub mod ids;
pub mod manifest;
mod normalize;
pub mod outbound;
pub mod routes;
pub mod runtime_config;
pub mod template;
pub mod variables;

pub use app::{App, Component, HttpTrigger, Route, Source, TriggerTarget};
pub use routes::{RouteMatch, Router};
pub use runtime_config::RuntimeConfig;

use std::fmt;

/// A load or validation error; the message is Spin's text where Spin has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(String);

impl Error {
    pub fn new(message: impl Into<String>) -> Self {
        Error(message.into())
    }

    pub fn message(&self) -> &str {
        &self.0
    }

    /// Prefixes context, the way anyhow's `context` reads: `outer: inner`.
    pub(crate) fn context(self, outer: impl fmt::Display) -> Self {
        Error(format!("{outer}: {}", self.0))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;
