//! A small, bounds-checked FITS reader: BINTABLE columns and IMAGE HDUs, for the NectarCAM DQM ingest.
//!
//! Values are normalised to three dtypes (`float64`, `int64`, `bool`) after applying `BZERO`/`BSCALE`
//! or `TZERO`/`TSCAL`; shapes follow numpy/astropy (C order; a column element with `TDIM` or a repeat
//! count adds trailing axes). Every size is checked against the file before anything is allocated, so a
//! truncated or hostile file gives a [`FitsError`], never a panic or an unbounded allocation.

mod array;
mod header;
mod image;
mod table;

pub use array::{Array, Dtype, Values};
pub use header::{Header, Value};

use std::fmt;

/// FITS files are made of 2880-byte blocks.
pub const BLOCK: usize = 2880;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FitsError(pub String);

impl fmt::Display for FitsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FitsError {}

pub type FitsResult<T> = Result<T, FitsError>;

pub(crate) fn err<T>(message: impl Into<String>) -> FitsResult<T> {
    Err(FitsError(message.into()))
}

/// One binary-table column, with its `TTYPE` name as written (original case).
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    pub array: Array,
}

/// What an HDU holds, as far as this reader understands it.
#[derive(Debug, Clone, PartialEq)]
pub enum HduData {
    /// A primary HDU or IMAGE extension with `NAXIS = 0`.
    Empty,
    Image(Array),
    /// `skipped` names the columns whose type this reader does not decode (strings, complex, bits, heap arrays).
    Table {
        columns: Vec<Column>,
        skipped: Vec<String>,
    },
    /// A registered extension type that is not read (e.g. ASCII `TABLE`); its data was skipped by size.
    Other {
        xtension: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Hdu {
    /// 0 for the primary HDU.
    pub index: usize,
    /// `EXTNAME` as written (FITS writers upper-case it).
    pub extname: Option<String>,
    pub data: HduData,
}

/// Extension types registered with the IAU FITS Working Group that we recognise but do not decode.
const SKIPPABLE_XTENSIONS: [&str; 5] = ["TABLE", "A3DTABLE", "IUEIMAGE", "FOREIGN", "DUMP"];

/// Reads every HDU of a FITS file held in memory.
pub fn read(bytes: &[u8]) -> FitsResult<Vec<Hdu>> {
    let mut hdus = Vec::new();
    let mut offset = 0;
    while offset < bytes.len() {
        let index = hdus.len();
        let (header, data_start) =
            Header::parse(bytes, offset).map_err(|e| FitsError(format!("HDU {index}: {e}")))?;
        let (hdu, data_len) = read_hdu(index, &header, &bytes[data_start..])
            .map_err(|e| FitsError(format!("HDU {index}: {e}")))?;
        hdus.push(hdu);
        let padded = data_len
            .div_ceil(BLOCK)
            .checked_mul(BLOCK)
            .ok_or_else(|| FitsError("data size overflows".into()))?;
        offset = data_start
            .checked_add(padded)
            .filter(|&end| end <= bytes.len())
            .ok_or_else(|| {
                FitsError(format!(
                    "HDU {index}: truncated inside the data's block padding"
                ))
            })?;
    }
    if hdus.is_empty() {
        return err("empty file: no primary header");
    }
    Ok(hdus)
}

/// Decodes one HDU; returns it and the unpadded size of its data.
fn read_hdu(index: usize, header: &Header, data: &[u8]) -> FitsResult<(Hdu, usize)> {
    let extname = header.string("EXTNAME").map(str::to_owned);
    let kind = if index == 0 {
        if header.logical("SIMPLE") != Some(true) {
            return err("not a FITS file: the first card is not SIMPLE = T");
        }
        "IMAGE".to_owned()
    } else {
        match header.string("XTENSION") {
            Some(x) => x.trim_end().to_owned(),
            None => return err("extension without XTENSION"),
        }
    };
    let data_len = image::data_size(header)?;
    if data_len > data.len() {
        return err(format!(
            "truncated: the header announces {data_len} data bytes, {} remain",
            data.len()
        ));
    }
    let data = &data[..data_len];
    let decoded = match kind.as_str() {
        "IMAGE" => image::read(header, data)?,
        "BINTABLE" => table::read(header, data)?,
        other if SKIPPABLE_XTENSIONS.contains(&other) => HduData::Other {
            xtension: other.to_owned(),
        },
        other => return err(format!("unknown XTENSION {other:?}")),
    };
    Ok((
        Hdu {
            index,
            extname,
            data: decoded,
        },
        data_len,
    ))
}

#[cfg(test)]
mod tests;
