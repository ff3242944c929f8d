//! ROOT compressed records: a sequence of blocks, each a 9-byte header (tag, method, 24-bit
//! little-endian compressed and uncompressed sizes) and a ZL/XZ/L4/ZS payload.

use crate::error::{Error, Result};
use std::io::{Read, Write};

/// Length of a block header.
pub const BLOCK_HEADER_LEN: usize = 9;
/// A block decompresses to at most this many bytes (24-bit size field).
pub const MAX_BLOCK_LEN: usize = 0xFF_FFFF;

/// Compression algorithm named by a block's two-byte tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    Zlib,
    Lzma,
    Lz4,
    Zstd,
}

impl Algorithm {
    pub fn from_tag(tag: [u8; 2]) -> Result<Self> {
        match &tag {
            b"ZL" => Ok(Algorithm::Zlib),
            b"XZ" => Ok(Algorithm::Lzma),
            b"L4" => Ok(Algorithm::Lz4),
            b"ZS" => Ok(Algorithm::Zstd),
            b"CS" => Err(Error::new("unsupported compression: legacy ROOT algorithm (CS)")),
            _ => Err(Error::new(format!("unsupported compression: unknown block tag {:02x?}", tag))),
        }
    }

    pub fn tag(self) -> &'static str {
        match self {
            Algorithm::Zlib => "ZL",
            Algorithm::Lzma => "XZ",
            Algorithm::Lz4 => "L4",
            Algorithm::Zstd => "ZS",
        }
    }
}

/// One parsed block header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockHeader {
    pub algorithm: Algorithm,
    pub method: u8,
    pub compressed_len: usize,
    pub uncompressed_len: usize,
}

impl BlockHeader {
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        let Some(h) = bytes.get(..BLOCK_HEADER_LEN) else {
            return Err(Error::new(format!("truncated compression block header ({} bytes)", bytes.len())));
        };
        let le24 = |b: &[u8]| b[0] as usize | (b[1] as usize) << 8 | (b[2] as usize) << 16;
        Ok(BlockHeader {
            algorithm: Algorithm::from_tag([h[0], h[1]])?,
            method: h[2],
            compressed_len: le24(&h[3..6]),
            uncompressed_len: le24(&h[6..9]),
        })
    }
}

/// The block headers of a compressed record, without decompressing.
pub fn block_headers(data: &[u8]) -> Result<Vec<BlockHeader>> {
    let mut out = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        let h = BlockHeader::parse(rest)?;
        let total = BLOCK_HEADER_LEN + h.compressed_len;
        if total > rest.len() {
            return Err(Error::new("compression block runs past the end of the record"));
        }
        rest = &rest[total..];
        out.push(h);
    }
    Ok(out)
}

/// Decompresses a record of blocks into exactly `object_len` bytes. Memory grows block by block,
/// so a header claiming a huge object costs nothing until its blocks really decompress.
pub fn decompress(data: &[u8], object_len: usize) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(object_len.min(MAX_BLOCK_LEN));
    let mut rest = data;
    while out.len() < object_len {
        let at = data.len() - rest.len();
        let block = BlockHeader::parse(rest).map_err(|e| e.context(format!("block at record offset {at}")))?;
        if block.uncompressed_len == 0 {
            return Err(Error::new(format!("empty compression block at record offset {at}")));
        }
        let payload = rest
            .get(BLOCK_HEADER_LEN..BLOCK_HEADER_LEN + block.compressed_len)
            .ok_or_else(|| Error::new(format!("compression block at record offset {at} is truncated")))?;
        let produced = out.len();
        if produced + block.uncompressed_len > object_len {
            return Err(Error::new(format!("compression blocks produce more than the object length {object_len}")));
        }
        out.resize(produced + block.uncompressed_len, 0);
        decompress_block(block, payload, &mut out[produced..])
            .map_err(|e| e.context(format!("{} block at record offset {at}", block.algorithm.tag())))?;
        rest = &rest[BLOCK_HEADER_LEN + block.compressed_len..];
    }
    Ok(out)
}

/// Decompresses one block payload into `out`, which must be filled exactly.
pub fn decompress_block(block: BlockHeader, payload: &[u8], out: &mut [u8]) -> Result<()> {
    let written = match block.algorithm {
        Algorithm::Zlib => inflate_zlib(payload, out)?,
        Algorithm::Lzma => {
            let mut sink = SliceWriter { out, len: 0 };
            lzma_rs::xz_decompress(&mut &payload[..], &mut sink)
                .map_err(|e| Error::new(format!("corrupt XZ data: {e}")))?;
            sink.len
        }
        Algorithm::Lz4 => inflate_lz4(payload, out)?,
        Algorithm::Zstd => {
            let mut decoder = ruzstd::decoding::StreamingDecoder::new(payload)
                .map_err(|e| Error::new(format!("corrupt zstd frame: {e}")))?;
            let n = read_full(&mut decoder, out).map_err(|e| Error::new(format!("corrupt zstd data: {e}")))?;
            // A frame that would produce more than the block says is corrupt.
            let mut extra = [0u8; 1];
            if n == out.len()
                && decoder.read(&mut extra).map_err(|e| Error::new(format!("corrupt zstd data: {e}")))? > 0
            {
                return Err(Error::new("zstd frame is longer than the block's uncompressed size"));
            }
            n
        }
    };
    if written != out.len() {
        return Err(Error::new(format!("block decompressed to {written} bytes, header says {}", out.len())));
    }
    Ok(())
}

fn inflate_zlib(payload: &[u8], out: &mut [u8]) -> Result<usize> {
    let mut z = flate2::Decompress::new(true);
    let status = z
        .decompress(payload, out, flate2::FlushDecompress::Finish)
        .map_err(|e| Error::new(format!("corrupt zlib data: {e}")))?;
    if status != flate2::Status::StreamEnd {
        return Err(Error::new("zlib stream does not end within the block"));
    }
    Ok(z.total_out() as usize)
}

/// ROOT's LZ4 payload: an 8-byte big-endian XXH64 of the LZ4 block, then the block.
fn inflate_lz4(payload: &[u8], out: &mut [u8]) -> Result<usize> {
    if payload.len() < 8 {
        return Err(Error::new("LZ4 block shorter than its checksum"));
    }
    let (checksum, block) = payload.split_at(8);
    let expected = u64::from_be_bytes(checksum.try_into().expect("8 bytes"));
    if xxhash_rust::xxh64::xxh64(block, 0) != expected {
        return Err(Error::new("LZ4 block checksum mismatch"));
    }
    lz4_flex::block::decompress_into(block, out).map_err(|e| Error::new(format!("corrupt LZ4 data: {e}")))
}

/// Reads until `out` is full or the reader ends.
fn read_full(reader: &mut impl Read, out: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < out.len() {
        match reader.read(&mut out[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// A writer into a fixed slice that fails rather than grow: bounds what a hostile stream can produce.
struct SliceWriter<'a> {
    out: &'a mut [u8],
    len: usize,
}

impl Write for SliceWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let room = self.out.len() - self.len;
        if buf.len() > room {
            return Err(std::io::Error::other("stream is longer than the block's uncompressed size"));
        }
        self.out[self.len..self.len + buf.len()].copy_from_slice(buf);
        self.len += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
