//! One object record read straight from its offset, for callers whose index already knows where it is and how
//! big it is (a legacy ME's key, a DQMIO basket): one positioned read, no file header or directory walk.

use super::compression;
use super::key::KeyHeader;
use crate::buffer::Reader;
use crate::error::{Error, Result};
use crate::source::ByteSource;

/// Bound on uncompressed object size, so a hostile key cannot make us allocate without limit.
pub const MAX_OBJECT_LEN: usize = 1 << 30;

/// A key record read whole: its header, the `fKeyLen` header bytes and the uncompressed payload.
#[derive(Debug, Clone)]
pub struct Record {
    pub key: KeyHeader,
    /// The `fKeyLen` bytes at the record's start (TBasket keeps its own fields after the TKey ones).
    pub header_bytes: Vec<u8>,
    /// Where the TKey fields end in `header_bytes`.
    pub fields_end: usize,
    /// The object bytes; they start at buffer-frame offset `key.key_len`.
    pub payload: Vec<u8>,
}

impl Record {
    /// Reads the `nbytes`-byte record at `seek` in one read. `nbytes` must be the record's own `fNbytes` (as an
    /// index recorded it): a different size means the file is not the one indexed.
    pub fn read(source: &impl ByteSource, seek: u64, nbytes: u32) -> Result<Record> {
        Self::read_inner(source, seek, nbytes).map_err(|e| e.context(format!("record at offset {seek}")))
    }

    fn read_inner(source: &impl ByteSource, seek: u64, nbytes: u32) -> Result<Record> {
        let mut bytes = source.read_at(seek, nbytes as usize)?;
        let mut r = Reader::new(&bytes, 0);
        let key = KeyHeader::read(&mut r)?;
        let fields_end = r.pos();
        if key.nbytes as u32 != nbytes {
            return Err(Error::new(format!("key says {} bytes, the index {nbytes}", key.nbytes)));
        }
        let data = bytes.split_off(key.key_len as usize);
        let payload = inflate(&key, data)?;
        Ok(Record { key, header_bytes: bytes, fields_end, payload })
    }

    /// Decodes the record's object with the models layer.
    pub fn object(&self) -> Result<crate::models::Object> {
        crate::models::decode(&self.key.class_name, &self.payload, self.key.key_len as u32)
            .map_err(|e| e.context(format!("{} {:?}", self.key.class_name, self.key.name)))
    }
}

/// The uncompressed object bytes of a key from its stored data bytes (compressed or not).
pub fn inflate(key: &KeyHeader, data: Vec<u8>) -> Result<Vec<u8>> {
    let obj_len = key.obj_len as usize;
    if obj_len > MAX_OBJECT_LEN {
        return Err(Error::new(format!("object length {obj_len} exceeds the {MAX_OBJECT_LEN}-byte limit")));
    }
    if !key.is_compressed() {
        // Uncompressed: fNbytes - fKeyLen == fObjLen.
        return Ok(data);
    }
    let blocks = compression::block_headers(&data)?;
    let total: usize = blocks.iter().map(|b| b.uncompressed_len).sum();
    if total != obj_len {
        return Err(Error::new(format!("compressed blocks hold {total} bytes, the key says {obj_len}")));
    }
    compression::decompress(&data, obj_len)
}
