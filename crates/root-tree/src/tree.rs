//! The TTree record (entries and top-level branches) and sequential entry reading through baskets.

use crate::basket::{Basket, EntrySpan};
use crate::branch::{read_tnamed, skip_class, Branch};
use rootfile::buffer::Reader;
use rootfile::container::{KeyHeader, RootFile};
use rootfile::error::{Error, Result};
use rootfile::source::ByteSource;

/// A TTree's metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct Tree {
    pub name: String,
    pub entries: u64,
    pub branches: Vec<Branch>,
}

impl Tree {
    /// Reads the TTree stored under `key`.
    pub fn read<S: ByteSource>(file: &RootFile<S>, key: &KeyHeader) -> Result<Tree> {
        if key.class_name != "TTree" {
            return Err(Error::new(format!(
                "{}: key {:?} is a {}, not a TTree",
                file.name(),
                key.name,
                key.class_name
            )));
        }
        let payload = file.payload(key)?;
        Self::parse(&payload, key.key_len as u32)
            .map_err(|e| e.context(format!("{}: TTree {:?}", file.name(), key.name)))
    }

    /// Parses a TTree record whose first byte is at buffer-frame offset `base`.
    pub fn parse(payload: &[u8], base: u32) -> Result<Tree> {
        let mut r = Reader::new(payload, base);
        let header = r.class_header()?;
        if !(16..=20).contains(&header.version) {
            return Err(r.error(format!(
                "unsupported class version: TTree v{}",
                header.version
            )));
        }
        let name = read_tnamed(&mut r)?;
        for base in ["TAttLine", "TAttFill", "TAttMarker"] {
            skip_class(&mut r, base)?;
        }
        let entries = r.i64()?;
        let entries =
            u64::try_from(entries).map_err(|_| r.error(format!("negative fEntries {entries}")))?;
        // fTotBytes, fZipBytes, fSavedBytes, (v≥18) fFlushedBytes
        r.skip(8 * if header.version >= 18 { 4 } else { 3 })?;
        r.skip(8 + 4 * 4)?; // fWeight, fTimerInterval, fScanField, fUpdate, fDefaultEntryOffsetLen
        let n_cluster = if header.version >= 19 {
            r.length("fNClusterRange")?
        } else {
            0
        };
        r.skip(8 * 6)?; // fMaxEntries … fEstimate
        if header.version >= 19 {
            for _ in 0..2 {
                // fClusterRangeEnd, fClusterSize: presence byte + n Long64.
                if r.u8()? != 0 {
                    r.skip(n_cluster.saturating_mul(8))?;
                }
            }
        }
        if header.version >= 20 {
            skip_class(&mut r, "TIOFeatures")?;
        }
        let array = r.class_header()?;
        r.tobject()?;
        r.tstring()?;
        let n = r.count(4, "TObjArray fBranches")?;
        r.i32()?;
        let mut branches = Vec::new();
        for _ in 0..n {
            branches.extend(Branch::read_pointer(&mut r, 0)?);
        }
        r.skip_to_end(&array, "TObjArray fBranches")?;
        // fLeaves, fAliases, … are not needed.
        Ok(Tree {
            name,
            entries,
            branches,
        })
    }

    /// The top-level branch named `name`.
    pub fn branch(&self, name: &str) -> Result<&Branch> {
        self.branches
            .iter()
            .find(|b| b.name == name)
            .ok_or_else(|| Error::new(format!("TTree {:?} has no branch {name:?}", self.name)))
    }
}

/// Reads entries of one branch, keeping the current basket so that consecutive entries cost one read.
pub struct EntryCursor<'f, 'b, S: ByteSource> {
    file: &'f RootFile<S>,
    branch: &'b Branch,
    current: Option<(usize, Basket)>,
}

impl<'f, 'b, S: ByteSource> EntryCursor<'f, 'b, S> {
    pub fn new(file: &'f RootFile<S>, branch: &'b Branch) -> Self {
        EntryCursor {
            file,
            branch,
            current: None,
        }
    }

    /// Entry `entry`'s bytes and their offset in its basket's logical buffer, plus that buffer.
    pub fn entry(&mut self, entry: u64) -> Result<(&[u8], usize)> {
        let (idx, local) = self.branch.basket_of(entry)?;
        if self.current.as_ref().map(|(i, _)| *i) != Some(idx) {
            let fixed = self.branch.leaves.first().and_then(|l| l.fixed_size());
            let basket = Basket::read(self.file, self.branch.basket_seek[idx], fixed)
                .map_err(|e| e.context(format!("branch {:?} basket {idx}", self.branch.name)))?;
            let (first, end) = self.branch.basket_range(idx);
            if basket.len() as u64 != end - first {
                return Err(Error::new(format!(
                    "branch {:?} basket {idx} holds {} entries, the branch says {}",
                    self.branch.name,
                    basket.len(),
                    end - first
                )));
            }
            self.current = Some((idx, basket));
        }
        let (_, basket) = self.current.as_ref().expect("basket just loaded");
        basket.entry(local as usize)
    }

    /// Where entry `entry` is stored (reads its basket like [`EntryCursor::entry`]).
    pub fn span(&mut self, entry: u64) -> Result<EntrySpan> {
        let (bytes, offset) = self.entry(entry)?;
        let len = bytes.len();
        let (idx, basket) = self.current.as_ref().expect("entry() loaded the basket");
        let too_large = || Error::new("basket too large");
        Ok(EntrySpan {
            basket_seek: self.branch.basket_seek[*idx],
            basket_nbytes: basket.nbytes(),
            offset: u32::try_from(offset).map_err(|_| too_large())?,
            len: u32::try_from(len).map_err(|_| too_large())?,
        })
    }

    /// The logical buffer of the basket that the last [`EntryCursor::entry`] call read from.
    pub fn basket_buffer(&self) -> Option<&[u8]> {
        self.current.as_ref().map(|(_, b)| b.buffer())
    }
}

/// Reads fixed-size and string entries into values.
pub mod values {
    use rootfile::buffer::Reader;
    use rootfile::error::{Error, Result};

    fn exact<const N: usize>(bytes: &[u8], what: &str) -> Result<[u8; N]> {
        bytes.try_into().map_err(|_| {
            Error::new(format!(
                "{what} entry of {} bytes, expected {N}",
                bytes.len()
            ))
        })
    }

    pub fn u32(bytes: &[u8]) -> Result<u32> {
        exact(bytes, "u32").map(u32::from_be_bytes)
    }
    pub fn u64(bytes: &[u8]) -> Result<u64> {
        exact(bytes, "u64").map(u64::from_be_bytes)
    }
    pub fn i64(bytes: &[u8]) -> Result<i64> {
        exact(bytes, "Long64_t").map(i64::from_be_bytes)
    }
    pub fn f64(bytes: &[u8]) -> Result<f64> {
        exact(bytes, "double").map(f64::from_be_bytes)
    }

    /// A `std::string` entry: TString-style length then bytes (an optional class header first).
    pub fn string(bytes: &[u8]) -> Result<String> {
        let mut r = Reader::new(bytes, 0);
        // A header is there only if its byte count spans the entry exactly (a length byte can look like one).
        if bytes.len() >= 6 {
            let word = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
            if word & 0x4000_0000 != 0 && (word & !0x4000_0000) as usize + 4 == bytes.len() {
                r.class_header()?;
            }
        }
        let s = r.tstring()?;
        if r.remaining() != 0 {
            return Err(Error::new(format!(
                "{} bytes after a std::string entry",
                r.remaining()
            )));
        }
        Ok(s)
    }
}
