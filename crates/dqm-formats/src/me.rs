//! The monitor-element index entry shared by the three formats.

use crate::tags::QTest;
use crate::types::MeType;
pub use root_tree::EntrySpan;

/// Where an ME's object (or scalar) is stored, so it can be decoded later without re-listing.
#[derive(Clone, Debug, PartialEq)]
pub enum Location {
    /// Legacy: the object's TKey (`fSeekKey`, `fNbytes`).
    Key { seek: u64, nbytes: u32 },
    /// DQMIO: entry `entry` of the tree `tree` (e.g. `TH1Fs`).
    Tree { tree: &'static str, entry: u64 },
    /// DQMIO: the same entry pinned to its basket ([`crate::dqmio::DqmioFile::locate`]), so decoding it reads
    /// one basket and no tree metadata (the original's "basket key offset + offset in basket + size").
    Basket {
        span: EntrySpan,
        encoding: ValueEncoding,
    },
    /// PB: the `Histo` message at `offset` of `len` bytes (in the gunzipped stream).
    Pb { offset: u64, len: u32 },
    /// The value is inline (DQMIO Int/Float/String entries are read while listing).
    Inline,
}

/// How a DQMIO `Value` branch streams its histograms: what decoding an entry needs from the branch (§5.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueEncoding {
    /// `TBranchObject`: a class-name prefix, then the object with its own header.
    Prefixed,
    /// `TBranchElement`: the object, usually without its outer class header, which is synthesised with
    /// `class_version`.
    Member { class_version: u16 },
}

/// A scalar ME value.
#[derive(Clone, Debug, PartialEq)]
pub enum Scalar {
    Int(i64),
    Float(f64),
    String(String),
}

/// One monitor element of a sample.
#[derive(Clone, Debug, PartialEq)]
pub struct Me {
    /// Path components, e.g. `["Tracking", "EventInfo", "reportSummary"]`; never `Run summary` or `DQMData/Run N`.
    pub path: Vec<String>,
    pub me_type: MeType,
    pub run: u32,
    pub lumi: u32,
    pub efficiency: bool,
    pub qtests: Vec<QTest>,
    pub location: Location,
    /// The scalar value for Int/Float/String MEs.
    pub value: Option<Scalar>,
}

impl Me {
    /// The path joined with `/`, as the DQM GUI shows it.
    pub fn path_string(&self) -> String {
        self.path.join("/")
    }
}

/// Splits a `/`-joined DQMIO or PB ME path into components.
pub fn split_path(full: &str) -> Vec<String> {
    full.split('/')
        .filter(|c| !c.is_empty())
        .map(str::to_string)
        .collect()
}
