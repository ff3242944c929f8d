//! Run Registry: event-sourced certification, golden JSON, listings and auth over the shared key-value store.
//!
//! Every write is one [`model::Version`] grouping immutable [`model::Event`]s; the current state is a
//! fold of them ([`state`]), materialised per run and per (run, dataset) as compact LS spans so that
//! golden-JSON generation reads one record per dataset, never per-LS rows. Nothing is deleted: a revert is a
//! compensating version ([`history::revert`]). Concurrent writers never lose events: numbers come from
//! atomic `increment`, each event has its own key, and records are rewritten with compare-and-swap
//! (details in [`store`]). The key layout is documented in [`keys`].

pub mod api;
pub mod auth;
pub mod error;
pub mod golden;
pub mod history;
pub mod ingest;
pub mod jobs;
pub mod keys;
pub mod listing;
pub mod log;
pub mod lumisections;
pub mod model;
pub mod ranges;
pub mod runs;
pub mod state;
pub mod store;

pub use error::{RrError, RrResult};
pub use model::{Actor, Event, LsChange, Target, Version};
pub use store::{Registry, ONLINE};
