//! Pure-Rust ROOT file reader: positioned byte sources, the TFile container, histogram models and TBufferJSON output.

pub mod buffer;
pub mod container;
pub mod error;
pub mod json;
pub mod models;
pub mod source;

pub use container::{KeyHeader, ListedKey, RootFile};
pub use error::{Error, Result};
pub use models::{decode, Object};
pub use source::{ByteSource, FileSource};
