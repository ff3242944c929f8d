//! Stats2 as a library: builds slim workflow documents from ReqMgr2/DBS, keeps them and their indexes in a `KvStore`, syncs incrementally over an `Upstream` seam, and serves the views.
//!
//! Adapters stay thin:
//! - the poller (scraper-host) runs [`sync::run_pass`] on a schedule, [`update_queue::process_update_requests`]
//!   often, and [`callbacks::send_due`] after either, implementing [`upstream::Upstream`] and
//!   [`callbacks::CallbackHttp`] over HTTPS;
//! - view components call [`views::handle`] with the path below `/stats`, and serve `/plot/<wf>.png`
//!   themselves from [`page::plot_target`] and [`page::history_series`].
//!
//! Every key is laid out in [`keys`].

pub mod callbacks;
pub mod dbs;
pub mod document;
pub mod fake;
pub mod history;
pub mod index_lists;
pub mod keys;
pub mod page;
pub mod raw;
pub mod status;
pub mod store;
pub mod sync;
pub mod update_queue;
pub mod upstream;
pub mod views;

use std::fmt;

/// Every failure of a Stats2 operation.
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    Kv(kv_api::KvError),
    Upstream(upstream::UpstreamError),
    /// A stored value does not parse.
    Corrupt(String),
    /// Another writer changed a document first.
    Conflict(String),
    /// The ReqMgr2 document could not be turned into a Stats2 document.
    Derivation(String),
    BadInput(String),
    Config(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Kv(e) => write!(f, "{e}"),
            Error::Upstream(e) => write!(f, "{e}"),
            Error::Corrupt(m) => write!(f, "corrupt stored value: {m}"),
            Error::Conflict(m) | Error::Derivation(m) | Error::BadInput(m) | Error::Config(m) => {
                f.write_str(m)
            }
        }
    }
}

impl std::error::Error for Error {}

impl From<kv_api::KvError> for Error {
    fn from(e: kv_api::KvError) -> Self {
        Error::Kv(e)
    }
}

impl From<upstream::UpstreamError> for Error {
    fn from(e: upstream::UpstreamError) -> Self {
        Error::Upstream(e)
    }
}
