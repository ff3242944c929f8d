//! The ROOT container: file header, keys, directories, compressed records and directory walking.

pub mod compression;
pub mod directory;
pub mod file;
pub mod header;
pub mod key;
pub mod record;

pub use compression::Algorithm;
pub use directory::DirectoryRecord;
pub use file::{Directory, ListedKey, RootFile};
pub use header::FileHeader;
pub use key::{KeyHeader, KeyRecord};
pub use record::Record;
