//! NectarCAM DQM: FITS results ingest into the shared KV store, the viewer's JSON API and its static page.
//!
//! - [`ingest`] reads a DIRAC tarball or a results FITS file and stores the run atomically ([`layout`]);
//! - [`cli::run`] is the `scraper-host nectarcam …` subcommand;
//! - [`api::Viewer`] answers everything below `/nectarcam` (JSON API, geometry, page), read-only;
//! - [`classify`] and [`display`] hold the viewer's rules, applied server-side.

pub mod api;
pub mod assets;
pub mod classify;
#[cfg(feature = "ingest")]
pub mod cli;
pub mod display;
pub mod health;
#[cfg(feature = "ingest")]
pub mod ingest;
pub mod keys;
pub mod layout;
pub mod model;

pub use api::{Viewer, MOUNT};
pub use health::{Health, RedisInfo, Replication, Role};
#[cfg(feature = "ingest")]
pub use ingest::IngestError;
pub use keys::RunKey;
pub use model::RunData;
