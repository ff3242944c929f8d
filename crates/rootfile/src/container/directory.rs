//! TDirectory(File) records and their key lists.

use super::key::KeyHeader;
use crate::buffer::Reader;
use crate::error::{Error, Result};

/// Directory fVersion above this has 64-bit seeks.
pub const BIG_DIRECTORY_VERSION: i16 = 1000;

/// A directory record: where its key list is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryRecord {
    pub version: i16,
    pub datime_c: u32,
    pub datime_m: u32,
    pub nbytes_keys: i32,
    pub nbytes_name: i32,
    pub seek_dir: u64,
    pub seek_parent: u64,
    pub seek_keys: u64,
    pub uuid: [u8; 16],
}

impl DirectoryRecord {
    pub fn read(r: &mut Reader) -> Result<Self> {
        let start = r.frame_pos();
        Self::read_fields(r).map_err(|e| e.context(format!("directory record at offset {start}")))
    }

    fn read_fields(r: &mut Reader) -> Result<Self> {
        let version = r.i16()?;
        let datime_c = r.u32()?;
        let datime_m = r.u32()?;
        let nbytes_keys = r.i32()?;
        let nbytes_name = r.i32()?;
        let big = version > BIG_DIRECTORY_VERSION;
        let seek = |r: &mut Reader| -> Result<u64> {
            let v = if big { r.i64()? } else { r.i32()? as i64 };
            u64::try_from(v).map_err(|_| Error::new(format!("negative seek {v}")))
        };
        let seek_dir = seek(r)?;
        let seek_parent = seek(r)?;
        let seek_keys = seek(r)?;
        // The UUID is absent in records written by very old ROOT versions.
        let uuid = if r.remaining() >= 18 {
            r.u16()?;
            r.bytes(16)?.try_into().expect("16 bytes")
        } else {
            [0; 16]
        };
        if nbytes_keys < 0 {
            return Err(Error::new(format!("negative fNbytesKeys {nbytes_keys}")));
        }
        Ok(DirectoryRecord {
            version,
            datime_c,
            datime_m,
            nbytes_keys,
            nbytes_name,
            seek_dir,
            seek_parent,
            seek_keys,
            uuid,
        })
    }
}

/// Parses a key-list record: one TKey header, `i32 nkeys`, then `nkeys` TKey headers.
pub fn parse_key_list(bytes: &[u8], base: u32) -> Result<Vec<KeyHeader>> {
    let mut r = Reader::new(bytes, base);
    KeyHeader::read(&mut r)?;
    let n = r.length("number of keys")?;
    // A key header takes at least 26 bytes: cap the count before allocating.
    if n.saturating_mul(26) > r.remaining() {
        return Err(r.error(format!("{n} keys do not fit in the key list")));
    }
    let mut keys = Vec::with_capacity(n);
    for _ in 0..n {
        keys.push(KeyHeader::read(&mut r)?);
    }
    Ok(keys)
}
