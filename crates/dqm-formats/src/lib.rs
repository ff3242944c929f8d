//! The three DQM file formats (legacy TDirectory, DQMIO TTrees, ROOTFilePB) behind one API:
//! list the monitor elements cheaply, then decode any one of them from its location.

pub mod legacy;
pub mod listing;
pub mod me;
pub mod pb_schema;
pub mod tags;
pub mod types;

pub use listing::Listing;
pub use me::{Location, Me, Scalar};
pub use tags::QTest;
pub use types::{DqmioVariant, MeType};
