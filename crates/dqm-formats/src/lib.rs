//! The three DQM file formats (legacy TDirectory, DQMIO TTrees, ROOTFilePB) behind one API:
//! list the monitor elements cheaply, then decode any one of them from its location.

pub mod dqmio;
pub mod file;
pub mod legacy;
pub mod listing;
pub mod me;
pub mod pb;
pub mod pb_schema;
pub mod tags;
pub mod types;

pub use file::{api_json, decode_direct, run_from_pb_name, scalar_text, Decoded, DqmFile, Format};
pub use listing::Listing;
pub use me::{EntrySpan, Location, Me, Scalar, ValueEncoding};
pub use rootfile::{Error, Result};
pub use tags::QTest;
pub use types::{DqmioVariant, MeType};
