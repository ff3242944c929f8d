//! TKey headers (small and big forms, fVersion > 1000 means 64-bit seeks).

use crate::buffer::Reader;
use crate::error::{Error, Result};
use crate::source::ByteSource;

/// Bytes of a key header up to and including `fKeyLen`.
const KEY_LEN_PREFIX: usize = 16;

/// A key header read from its own record, with the record's `fKeyLen` header bytes: some classes (TBasket)
/// keep more fields there after the TKey ones.
#[derive(Debug, Clone)]
pub struct KeyRecord {
    pub header: KeyHeader,
    /// The `fKeyLen` bytes that start at the key's seek.
    pub bytes: Vec<u8>,
    /// Where the TKey fields end in `bytes`.
    pub fields_end: usize,
}

/// Key fVersion above this has 64-bit fSeekKey/fSeekPdir.
pub const BIG_KEY_VERSION: i16 = 1000;

/// A TKey header: where an object's record is and what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyHeader {
    /// Record size on disk: header plus (compressed) data.
    pub nbytes: i32,
    pub version: i16,
    /// Uncompressed object length.
    pub obj_len: i32,
    pub datime: u32,
    pub key_len: i16,
    pub cycle: i16,
    pub seek_key: u64,
    pub seek_pdir: u64,
    pub class_name: String,
    pub name: String,
    pub title: String,
}

impl KeyHeader {
    /// Reads a key header at the reader's position.
    pub fn read(r: &mut Reader) -> Result<Self> {
        let start = r.frame_pos();
        Self::read_fields(r).map_err(|e| e.context(format!("TKey header at offset {start}")))
    }

    /// Reads the key whose record starts at `seek` (where a basket or a legacy ME points), sizing the read by
    /// the record's own `fKeyLen`.
    pub fn read_record(source: &impl ByteSource, seek: u64) -> Result<KeyRecord> {
        let available = usize::try_from(source.len().saturating_sub(seek)).unwrap_or(usize::MAX);
        let prefix = source.read_at(seek, KEY_LEN_PREFIX.min(available))?;
        if prefix.len() < KEY_LEN_PREFIX {
            return Err(Error::new(format!("truncated key at offset {seek}")));
        }
        let key_len = i16::from_be_bytes([prefix[14], prefix[15]]);
        let key_len = usize::try_from(key_len)
            .map_err(|_| Error::new(format!("negative fKeyLen {key_len} at offset {seek}")))?;
        let bytes = source.read_at(seek, key_len)?;
        let mut r = Reader::new(&bytes, 0);
        let header = Self::read(&mut r)?;
        let fields_end = r.pos();
        Ok(KeyRecord { header, bytes, fields_end })
    }

    fn read_fields(r: &mut Reader) -> Result<Self> {
        let nbytes = r.i32()?;
        let version = r.i16()?;
        let obj_len = r.i32()?;
        let datime = r.u32()?;
        let key_len = r.i16()?;
        let cycle = r.i16()?;
        let big = version > BIG_KEY_VERSION;
        let seek = |r: &mut Reader| -> Result<u64> {
            let v = if big { r.i64()? } else { r.i32()? as i64 };
            u64::try_from(v).map_err(|_| Error::new(format!("negative seek {v}")))
        };
        let seek_key = seek(r)?;
        let seek_pdir = seek(r)?;
        let class_name = r.tstring()?;
        let name = r.tstring()?;
        let title = r.tstring()?;
        if nbytes < 0 || obj_len < 0 || key_len < 0 || (key_len as i32) > nbytes {
            return Err(Error::new(format!(
                "inconsistent sizes: fNbytes {nbytes}, fObjLen {obj_len}, fKeyLen {key_len}"
            )));
        }
        Ok(KeyHeader { nbytes, version, obj_len, datime, key_len, cycle, seek_key, seek_pdir, class_name, name, title })
    }

    /// Bytes of (possibly compressed) object data after the header.
    pub fn data_len(&self) -> usize {
        (self.nbytes - self.key_len as i32) as usize
    }

    /// Data is compressed iff it is shorter than the object.
    pub fn is_compressed(&self) -> bool {
        self.obj_len as usize > self.data_len()
    }

    /// Subdirectory keys (ROOT writes both spellings).
    pub fn is_directory(&self) -> bool {
        matches!(self.class_name.as_str(), "TDirectory" | "TDirectoryFile")
    }
}
