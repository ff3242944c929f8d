//! TBasket records: the logical buffer (key header + payload) and the per-entry byte ranges.

use rootfile::buffer::Reader;
use rootfile::container::{KeyHeader, Record, RootFile};
use rootfile::error::{Error, Result};
use rootfile::source::ByteSource;
use std::ops::Range;

/// One basket, decompressed, with where each of its entries starts.
#[derive(Debug, Clone)]
pub struct Basket {
    /// The logical buffer: `fKeyLen` header bytes, then the uncompressed payload.
    buffer: Vec<u8>,
    /// `n + 1` absolute entry boundaries in `buffer`; the last is `fLast`.
    bounds: Vec<usize>,
    /// The basket key's `fNbytes` (record size on disk).
    nbytes: u32,
}

/// Where one entry is stored: enough to read it again with one read and no TTree metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntrySpan {
    /// The basket key's offset in the file and its record size (`fNbytes`).
    pub basket_seek: u64,
    pub basket_nbytes: u32,
    /// The entry's start in the basket's logical buffer (key header + payload) and its length.
    pub offset: u32,
    pub len: u32,
}

/// One entry read through its [`EntrySpan`]: the basket payload and the entry's place in it.
#[derive(Debug, Clone)]
pub struct SpanEntry {
    payload: Vec<u8>,
    range: Range<usize>,
    offset: usize,
}

impl SpanEntry {
    /// Reads the basket record of `span` and finds the entry in it.
    pub fn read(source: &impl ByteSource, span: &EntrySpan) -> Result<SpanEntry> {
        let record = Record::read(source, span.basket_seek, span.basket_nbytes)?;
        if record.key.class_name != "TBasket" {
            return Err(Error::new(format!(
                "expected a TBasket key at offset {}, found {}",
                span.basket_seek, record.key.class_name
            )));
        }
        let key_len = record.key.key_len as usize;
        let offset = span.offset as usize;
        // Checked: on 32-bit targets (wasm) `start + len` can wrap.
        let range = offset
            .checked_sub(key_len)
            .and_then(|start| Some(start..start.checked_add(span.len as usize)?))
            .filter(|r| r.end <= record.payload.len())
            .ok_or_else(|| {
                Error::new(format!(
                    "entry [{offset}, +{}) outside the basket at offset {}",
                    span.len, span.basket_seek
                ))
            })?;
        Ok(SpanEntry {
            payload: record.payload,
            range,
            offset,
        })
    }

    /// The entry's bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.payload[self.range.clone()]
    }

    /// Where the entry starts in the basket's logical buffer (reference positions count from there).
    pub fn offset(&self) -> usize {
        self.offset
    }
}

impl Basket {
    /// Reads the basket whose key is at `seek`. `fixed_size` is the entry size for leaves without offsets.
    pub fn read<S: ByteSource>(
        file: &RootFile<S>,
        seek: u64,
        fixed_size: Option<usize>,
    ) -> Result<Basket> {
        Self::read_inner(file, seek, fixed_size)
            .map_err(|e| e.context(format!("{}: TBasket at offset {seek}", file.name())))
    }

    fn read_inner<S: ByteSource>(
        file: &RootFile<S>,
        seek: u64,
        fixed_size: Option<usize>,
    ) -> Result<Basket> {
        let record = KeyHeader::read_record(file.source(), seek)?;
        let (key, mut buffer) = (record.header, record.bytes);
        let key_len = buffer.len();
        let mut r = Reader::new(&buffer, 0);
        r.set_pos(record.fields_end)?;
        if key.class_name != "TBasket" {
            return Err(Error::new(format!(
                "expected a TBasket key, found {}",
                key.class_name
            )));
        }
        r.i16()?; // fVersion
        r.i32()?; // fBufferSize
        r.i32()?; // fNevBufSize
        let nev_buf = r.length("fNevBuf")?;
        let last = r.length("fLast")?;
        let payload = file.payload(&key)?;
        buffer.truncate(key_len);
        buffer.extend_from_slice(&payload);
        if last < key_len || last > buffer.len() {
            return Err(Error::new(format!(
                "fLast {last} outside the {}-byte basket",
                buffer.len()
            )));
        }
        let bounds = if buffer.len() > last {
            offsets_after_last(&buffer, key_len, last, nev_buf)?
        } else {
            let size = fixed_size
                .ok_or_else(|| Error::new("variable-size entries without entry offsets"))?;
            if nev_buf.saturating_mul(size) != last - key_len {
                return Err(Error::new(format!(
                    "{nev_buf} entries of {size} bytes do not fill [{key_len}, {last})"
                )));
            }
            (0..=nev_buf).map(|i| key_len + i * size).collect()
        };
        Ok(Basket {
            buffer,
            bounds,
            nbytes: key.nbytes as u32,
        })
    }

    /// The basket key's `fNbytes`.
    pub fn nbytes(&self) -> u32 {
        self.nbytes
    }

    /// Number of entries in the basket.
    pub fn len(&self) -> usize {
        self.bounds.len() - 1
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The whole logical buffer (reference positions inside entries are relative to its start).
    pub fn buffer(&self) -> &[u8] {
        &self.buffer
    }

    /// Entry `i`'s bytes and their offset in the logical buffer.
    pub fn entry(&self, i: usize) -> Result<(&[u8], usize)> {
        if i >= self.len() {
            return Err(Error::new(format!("basket entry {i} of {}", self.len())));
        }
        let (start, end) = (self.bounds[i], self.bounds[i + 1]);
        Ok((&self.buffer[start..end], start))
    }
}

/// Parses the entry-offset array at `fLast`: `[n + 1, off_0 … off_{n-1}, 0]`, offsets absolute in the buffer.
fn offsets_after_last(
    buffer: &[u8],
    key_len: usize,
    last: usize,
    nev_buf: usize,
) -> Result<Vec<usize>> {
    let mut r = Reader::new(&buffer[last..], last as u32);
    let count = r.count(4, "entry offsets")?;
    if count < nev_buf {
        return Err(r.error(format!("{count} entry offsets for {nev_buf} entries")));
    }
    let mut bounds = Vec::with_capacity(nev_buf + 1);
    for _ in 0..nev_buf {
        let off = r.i32()?;
        let off =
            usize::try_from(off).map_err(|_| r.error(format!("negative entry offset {off}")))?;
        let prev = bounds.last().copied().unwrap_or(key_len);
        if off < prev || off > last {
            return Err(r.error(format!("entry offset {off} outside [{prev}, {last}]")));
        }
        bounds.push(off);
    }
    bounds.push(last);
    Ok(bounds)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn buffer_with_offsets(offsets: &[i32], key_len: usize, last: usize) -> Vec<u8> {
        let mut b = vec![0u8; last];
        b.extend_from_slice(&((offsets.len() + 1) as i32).to_be_bytes());
        for o in offsets {
            b.extend_from_slice(&o.to_be_bytes());
        }
        b.extend_from_slice(&0i32.to_be_bytes());
        assert!(key_len <= last);
        b
    }

    #[test]
    fn offsets_include_the_key_length_and_end_at_flast() {
        let b = buffer_with_offsets(&[10, 13, 20], 10, 25);
        assert_eq!(
            offsets_after_last(&b, 10, 25, 3).unwrap(),
            vec![10, 13, 20, 25]
        );
    }

    #[test]
    fn bad_offsets_are_errors() {
        let b = buffer_with_offsets(&[10, 9], 10, 25);
        assert!(offsets_after_last(&b, 10, 25, 2).is_err());
        let b = buffer_with_offsets(&[10, 30], 10, 25);
        assert!(offsets_after_last(&b, 10, 25, 2).is_err());
        let b = buffer_with_offsets(&[10], 10, 25);
        assert!(offsets_after_last(&b, 10, 25, 3).is_err());
        assert!(offsets_after_last(&b[..27], 10, 25, 1).is_err());
    }
}
