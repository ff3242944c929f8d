//! TBufferFile reading primitives: big-endian numbers, TStrings, class headers with byte counts,
//! object-pointer class tags and the reference map that ROOT keys by buffer position.

use crate::error::{Error, Result};
use std::collections::HashMap;

/// Bit set in a byte count word (`u32 count | kByteCountMask`).
pub const BYTE_COUNT_MASK: u32 = 0x4000_0000;
/// Class tag meaning "a class name follows".
pub const NEW_CLASS_TAG: u32 = 0xFFFF_FFFF;
/// Bit set in a class tag that refers to an already-seen class.
pub const CLASS_MASK: u32 = 0x8000_0000;
/// ROOT numbers reference positions from 2 (0 and 1 are reserved).
pub const MAP_OFFSET: u32 = 2;
/// TObject bit kIsReferenced: a process id follows the TObject.
pub const IS_REFERENCED: u32 = 0x10;
/// TObject bit kIsOnHeap, cleared when exposing fBits.
pub const IS_ON_HEAP: u32 = 0x0100_0000;

/// A class header: the version and, when the byte count is present, where the class's bytes end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClassHeader {
    pub version: u16,
    /// Position just past this class's bytes (buffer index), if a byte count was streamed.
    pub end: Option<usize>,
}

/// What an object pointer holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PointerTag {
    /// `u32 0`.
    Null,
    /// An object of class `class` follows; `end` is the buffer index after it (if counted);
    /// `object_key` is the reference key other pointers use for this object.
    Object { class: String, end: Option<usize>, object_key: u32 },
    /// A reference (by key) to an object read earlier in this buffer.
    Reference(u32),
}

/// The TObject members.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TObject {
    pub unique_id: u32,
    /// Streamed fBits with kIsOnHeap cleared.
    pub bits: u32,
}

/// Reads a TBufferFile buffer. `base` is the buffer-frame position of `data[0]`: reference positions
/// are counted from the frame start (a legacy key's start, a basket's logical buffer, a PB blob).
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    base: u32,
    /// Classes seen in this buffer, by reference key.
    classes: HashMap<u32, String>,
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8], base: u32) -> Self {
        Reader { data, pos: 0, base, classes: HashMap::new() }
    }

    /// Current index into `data`.
    pub fn pos(&self) -> usize {
        self.pos
    }

    pub fn len(&self) -> usize {
        self.data.len()
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    pub fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    pub fn data(&self) -> &'a [u8] {
        self.data
    }

    /// Position of the cursor in the buffer frame (what ROOT's `Length()` would say).
    pub fn frame_pos(&self) -> u32 {
        self.base.wrapping_add(self.pos as u32)
    }

    /// An error that names the buffer-frame offset.
    pub fn error(&self, what: impl std::fmt::Display) -> Error {
        Error::new(format!("{what} (at buffer offset {})", self.frame_pos()))
    }

    pub fn set_pos(&mut self, pos: usize) -> Result<()> {
        if pos > self.data.len() {
            return Err(self.error(format!("jump to {pos} past the end of a {}-byte buffer", self.data.len())));
        }
        self.pos = pos;
        Ok(())
    }

    pub fn skip(&mut self, n: usize) -> Result<()> {
        self.bytes(n).map(|_| ())
    }

    /// The next `n` bytes.
    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8]> {
        if n > self.remaining() {
            return Err(self.error(format!("expected {n} more bytes, {} left", self.remaining())));
        }
        let out = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut out = [0; N];
        out.copy_from_slice(self.bytes(N)?);
        Ok(out)
    }

    pub fn u8(&mut self) -> Result<u8> {
        Ok(self.array::<1>()?[0])
    }
    pub fn i8(&mut self) -> Result<i8> {
        Ok(self.u8()? as i8)
    }
    pub fn bool(&mut self) -> Result<bool> {
        Ok(self.u8()? != 0)
    }
    pub fn u16(&mut self) -> Result<u16> {
        self.array().map(u16::from_be_bytes)
    }
    pub fn i16(&mut self) -> Result<i16> {
        self.array().map(i16::from_be_bytes)
    }
    pub fn u32(&mut self) -> Result<u32> {
        self.array().map(u32::from_be_bytes)
    }
    pub fn i32(&mut self) -> Result<i32> {
        self.array().map(i32::from_be_bytes)
    }
    pub fn u64(&mut self) -> Result<u64> {
        self.array().map(u64::from_be_bytes)
    }
    pub fn i64(&mut self) -> Result<i64> {
        self.array().map(i64::from_be_bytes)
    }
    pub fn f32(&mut self) -> Result<f32> {
        self.array().map(f32::from_be_bytes)
    }
    pub fn f64(&mut self) -> Result<f64> {
        self.array().map(f64::from_be_bytes)
    }

    /// A TString: u8 length (255 → i32 length follows), then the bytes.
    pub fn tstring(&mut self) -> Result<String> {
        let short = self.u8()?;
        let len = if short == 255 { self.length("TString")? } else { short as usize };
        Ok(decode_text(self.bytes(len)?))
    }

    /// A NUL-terminated string (class names after kNewClassTag).
    pub fn cstring(&mut self) -> Result<String> {
        let rest = &self.data[self.pos..];
        let Some(nul) = rest.iter().position(|&b| b == 0) else {
            return Err(self.error("unterminated class name"));
        };
        let text = decode_text(&rest[..nul]);
        self.pos += nul + 1;
        Ok(text)
    }

    /// An i32 element count, checked to be non-negative.
    pub fn length(&mut self, what: &str) -> Result<usize> {
        let n = self.i32()?;
        usize::try_from(n).map_err(|_| self.error(format!("negative length {n} for {what}")))
    }

    /// A count of `elem_size`-byte elements, checked against the bytes left so that hostile counts
    /// never cause a large allocation.
    pub fn count(&mut self, elem_size: usize, what: &str) -> Result<usize> {
        let n = self.length(what)?;
        if n.saturating_mul(elem_size) > self.remaining() {
            return Err(self.error(format!("{what}: {n} elements do not fit in {} bytes", self.remaining())));
        }
        Ok(n)
    }

    /// `n` big-endian values decoded with `read`; the caller has checked the size.
    fn values<T, const N: usize>(&mut self, n: usize, read: fn([u8; N]) -> T) -> Result<Vec<T>> {
        let raw = self.bytes(n * N)?;
        Ok(raw.chunks_exact(N).map(|c| read(c.try_into().expect("chunk of N bytes"))).collect())
    }

    /// TArrayC/S/I/F/D bodies: `i32 n` then `n` elements.
    pub fn array_i8(&mut self) -> Result<Vec<i8>> {
        let n = self.count(1, "TArrayC")?;
        self.values(n, i8::from_be_bytes)
    }
    pub fn array_i16(&mut self) -> Result<Vec<i16>> {
        let n = self.count(2, "TArrayS")?;
        self.values(n, i16::from_be_bytes)
    }
    pub fn array_i32(&mut self) -> Result<Vec<i32>> {
        let n = self.count(4, "TArrayI")?;
        self.values(n, i32::from_be_bytes)
    }
    pub fn array_f32(&mut self) -> Result<Vec<f32>> {
        let n = self.count(4, "TArrayF")?;
        self.values(n, f32::from_be_bytes)
    }
    pub fn array_f64(&mut self) -> Result<Vec<f64>> {
        let n = self.count(8, "TArrayD")?;
        self.values(n, f64::from_be_bytes)
    }
    /// `n` f64 values without a count prefix (e.g. `fBuffer`).
    pub fn f64_values(&mut self, n: usize) -> Result<Vec<f64>> {
        if n.saturating_mul(8) > self.remaining() {
            return Err(self.error(format!("{n} doubles do not fit in {} bytes", self.remaining())));
        }
        self.values(n, f64::from_be_bytes)
    }

    /// A class header: `u32 count|kByteCountMask` then `u16 version`, or an old-style bare version.
    pub fn class_header(&mut self) -> Result<ClassHeader> {
        let start = self.pos;
        let word = self.u32()?;
        if word & BYTE_COUNT_MASK == 0 {
            // Old style: the first two bytes are the version, no byte count.
            self.pos = start;
            return Ok(ClassHeader { version: self.u16()?, end: None });
        }
        let count = (word & !BYTE_COUNT_MASK) as usize;
        let end = start + 4 + count;
        if end > self.data.len() {
            return Err(self.error(format!("byte count {count} runs past the end of the buffer")));
        }
        if count < 2 {
            return Err(self.error(format!("byte count {count} too small for a version")));
        }
        Ok(ClassHeader { version: self.u16()?, end: Some(end) })
    }

    /// Checks that a class with a known layout ended exactly where its byte count said.
    pub fn expect_end(&self, header: &ClassHeader, class: &str) -> Result<()> {
        match header.end {
            Some(end) if end != self.pos => {
                Err(self
                    .error(format!("{class} v{} ended at {} but its byte count says {end}", header.version, self.pos)))
            }
            _ => Ok(()),
        }
    }

    /// Moves to the end of a class (to skip members of a newer version); needs a byte count.
    pub fn skip_to_end(&mut self, header: &ClassHeader, class: &str) -> Result<()> {
        match header.end {
            Some(end) if end >= self.pos => {
                self.pos = end;
                Ok(())
            }
            Some(end) => Err(self.error(format!("{class} read past its end {end}"))),
            None => Err(self.error(format!("{class} v{} has no byte count to skip by", header.version))),
        }
    }

    /// The TObject base: version, fUniqueID, fBits (+ pid when referenced).
    pub fn tobject(&mut self) -> Result<TObject> {
        let version = self.u16()?;
        if version & (BYTE_COUNT_MASK >> 16) as u16 != 0 {
            // Written with a byte count: that was its upper half; skip the lower half and the version.
            self.skip(4)?;
        }
        let unique_id = self.u32()?;
        let bits = self.u32()?;
        if bits & IS_REFERENCED != 0 {
            self.u16()?;
        }
        Ok(TObject { unique_id, bits: bits & !IS_ON_HEAP })
    }

    /// Reads an object pointer's header (ROOT's `ReadObjectAny` / `ReadClass`). After `Object`, the
    /// object's own streamer follows; after `Null` or `Reference`, nothing.
    pub fn pointer_tag(&mut self) -> Result<PointerTag> {
        let object_key = self.frame_pos().wrapping_add(MAP_OFFSET);
        let first = self.u32()?;
        let (tag, end, tag_key) = if first & BYTE_COUNT_MASK == 0 || first == NEW_CLASS_TAG {
            (first, None, None)
        } else {
            let count = (first & !BYTE_COUNT_MASK) as usize;
            let end = self.pos + count;
            if end > self.data.len() {
                return Err(self.error(format!("object byte count {count} runs past the end of the buffer")));
            }
            let tag_key = self.frame_pos().wrapping_add(MAP_OFFSET);
            (self.u32()?, Some(end), Some(tag_key))
        };
        if tag & CLASS_MASK == 0 {
            return Ok(if tag == 0 { PointerTag::Null } else { PointerTag::Reference(tag) });
        }
        let class = if tag == NEW_CLASS_TAG {
            let name = self.cstring()?;
            let key = tag_key.unwrap_or_else(|| self.frame_pos());
            self.classes.insert(key, name.clone());
            name
        } else {
            let key = tag & !CLASS_MASK;
            match self.classes.get(&key) {
                Some(name) => name.clone(),
                None => return Err(self.error(format!("reference to unknown class at offset {key}"))),
            }
        };
        if end.is_some_and(|end| end < self.pos) {
            return Err(self.error(format!("object byte count ends inside the class name of {class}")));
        }
        Ok(PointerTag::Object { class, end, object_key })
    }
}

/// ROOT strings are bytes; read them as UTF-8, or as Latin-1 when they are not valid UTF-8.
fn decode_text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => bytes.iter().map(|&b| b as char).collect(),
    }
}
