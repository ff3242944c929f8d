//! The TFile header at offset 0, in its small (32-bit seeks) and big (64-bit seeks) forms.

use crate::buffer::Reader;
use crate::error::{Error, Result};

/// fVersion at or above this marks a big file with 64-bit seeks in the header.
pub const BIG_FILE_VERSION: i32 = 1_000_000;
/// Bytes to read to be sure to cover either header form.
pub const HEADER_READ_LEN: usize = 75;

/// The TFile header fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileHeader {
    /// Writer's ROOT version code (e.g. 64000), without the big-file offset.
    pub version: i32,
    pub big: bool,
    pub begin: u64,
    pub end: u64,
    pub seek_free: u64,
    pub nbytes_free: i32,
    pub nfree: i32,
    pub nbytes_name: i32,
    pub units: u8,
    /// 100 × algorithm + level.
    pub compress: i32,
    pub seek_info: u64,
    pub nbytes_info: i32,
    pub uuid: [u8; 16],
}

impl FileHeader {
    /// Parses the header from the first bytes of a file (at least up to fUUID; shorter only if the file is).
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader::new(bytes, 0);
        if r.bytes(4).ok() != Some(b"root") {
            return Err(Error::new("not a ROOT file (missing \"root\" magic)"));
        }
        let raw_version = r.i32()?;
        let big = raw_version >= BIG_FILE_VERSION;
        let begin = non_negative(r.i32()? as i64, "fBEGIN")?;
        let seek = |r: &mut Reader, what| -> Result<u64> {
            let v = if big { r.i64()? } else { r.i32()? as i64 };
            non_negative(v, what)
        };
        let end = seek(&mut r, "fEND")?;
        let seek_free = seek(&mut r, "fSeekFree")?;
        let nbytes_free = r.i32()?;
        let nfree = r.i32()?;
        let nbytes_name = r.i32()?;
        let units = r.u8()?;
        let compress = r.i32()?;
        let seek_info = seek(&mut r, "fSeekInfo")?;
        let nbytes_info = r.i32()?;
        r.u16()?; // UUID version
        let uuid = r.bytes(16)?.try_into().expect("16 bytes");
        Ok(FileHeader {
            version: if big { raw_version - BIG_FILE_VERSION } else { raw_version },
            big,
            begin,
            end,
            seek_free,
            nbytes_free,
            nfree,
            nbytes_name,
            units,
            compress,
            seek_info,
            nbytes_info,
            uuid,
        })
        .and_then(|h| {
            if h.nbytes_name < 0 {
                return Err(Error::new(format!("negative fNbytesName {}", h.nbytes_name)));
            }
            Ok(h)
        })
        .map_err(|e| e.context("TFile header"))
    }

    /// Where the top directory's record starts.
    pub fn top_directory_seek(&self) -> u64 {
        self.begin + self.nbytes_name as u64
    }
}

fn non_negative(v: i64, what: &str) -> Result<u64> {
    u64::try_from(v).map_err(|_| Error::new(format!("negative {what} {v}")))
}
