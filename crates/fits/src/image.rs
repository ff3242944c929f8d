//! Primary and IMAGE HDUs: `BITPIX`, `NAXISn` (Fortran order), `BZERO`/`BSCALE`.

use crate::array::{Array, Values};
use crate::header::Header;
use crate::{err, FitsResult, HduData};

/// FITS allows at most 999 axes.
const MAX_NAXIS: i64 = 999;

/// The axis lengths NAXIS1..NAXISn (fastest first), or none for NAXIS = 0.
pub(crate) fn axes(header: &Header) -> FitsResult<Vec<usize>> {
    let naxis = header.count("NAXIS", MAX_NAXIS)?;
    (1..=naxis)
        .map(|i| header.count(&format!("NAXIS{i}"), i64::MAX))
        .collect()
}

pub(crate) fn bytes_per_value(bitpix: i64) -> FitsResult<usize> {
    match bitpix {
        8 => Ok(1),
        16 => Ok(2),
        32 | -32 => Ok(4),
        64 | -64 => Ok(8),
        other => err(format!("bad BITPIX {other}")),
    }
}

/// Data bytes of any conforming HDU: |BITPIX|/8 × GCOUNT × (PCOUNT + ΠNAXISi), checked for overflow.
pub(crate) fn data_size(header: &Header) -> FitsResult<usize> {
    let bitpix = header
        .integer("BITPIX")
        .ok_or_else(|| crate::FitsError("missing BITPIX".into()))?;
    let width = bytes_per_value(bitpix)?;
    let axes = axes(header)?;
    if axes.is_empty() {
        return Ok(0);
    }
    let product = axes.iter().try_fold(1usize, |acc, &n| acc.checked_mul(n));
    let pcount = if header.get("PCOUNT").is_some() {
        header.count("PCOUNT", i64::MAX)?
    } else {
        0
    };
    let gcount = if header.get("GCOUNT").is_some() {
        header.count("GCOUNT", i64::MAX)?
    } else {
        1
    };
    product
        .and_then(|p| p.checked_add(pcount))
        .and_then(|p| p.checked_mul(gcount))
        .and_then(|p| p.checked_mul(width))
        .ok_or_else(|| crate::FitsError("data size overflows".into()))
}

pub(crate) fn read(header: &Header, data: &[u8]) -> FitsResult<HduData> {
    let axes = axes(header)?;
    if axes.is_empty() {
        return Ok(HduData::Empty);
    }
    let bitpix = header.integer("BITPIX").unwrap_or(0);
    let count = axes.iter().product::<usize>();
    let bytes = &data[..count * bytes_per_value(bitpix)?];
    let scale = header.real("BSCALE").unwrap_or(1.0);
    let zero = header.real("BZERO").unwrap_or(0.0);
    let values = decode(bitpix, bytes, scale, zero)?;
    let shape = axes.into_iter().rev().collect();
    Ok(HduData::Image(Array { shape, values }))
}

/// Big-endian numbers of one BITPIX-like code, scaled: integers stay `int64` when the scaling is an
/// integer offset (unsigned types), otherwise everything becomes `float64`.
pub(crate) fn decode(bitpix: i64, bytes: &[u8], scale: f64, zero: f64) -> FitsResult<Values> {
    match bitpix {
        -32 => Ok(Values::Float64(
            bytes
                .chunks_exact(4)
                .map(|c| f32::from_be_bytes([c[0], c[1], c[2], c[3]]) as f64 * scale + zero)
                .collect(),
        )),
        -64 => Ok(Values::Float64(
            bytes
                .chunks_exact(8)
                .map(|c| f64::from_be_bytes(c.try_into().unwrap_or([0; 8])) * scale + zero)
                .collect(),
        )),
        _ => {
            let raw: Vec<i64> = match bitpix {
                8 => bytes.iter().map(|&b| i64::from(b)).collect(),
                16 => bytes
                    .chunks_exact(2)
                    .map(|c| i64::from(i16::from_be_bytes([c[0], c[1]])))
                    .collect(),
                32 => bytes
                    .chunks_exact(4)
                    .map(|c| i64::from(i32::from_be_bytes([c[0], c[1], c[2], c[3]])))
                    .collect(),
                64 => bytes
                    .chunks_exact(8)
                    .map(|c| i64::from_be_bytes(c.try_into().unwrap_or([0; 8])))
                    .collect(),
                other => return err(format!("bad BITPIX {other}")),
            };
            integer_values(raw, scale, zero)
        }
    }
}

/// Applies an integer offset exactly (uint64's 2^63 included), or falls back to float64 for real scaling.
pub(crate) fn integer_values(raw: Vec<i64>, scale: f64, zero: f64) -> FitsResult<Values> {
    if scale == 1.0 && zero == 0.0 {
        return Ok(Values::Int64(raw));
    }
    let exact_offset = scale == 1.0 && zero.fract() == 0.0 && zero.abs() <= 2f64.powi(64);
    if !exact_offset {
        return Ok(Values::Float64(
            raw.into_iter().map(|x| x as f64 * scale + zero).collect(),
        ));
    }
    let offset = zero as i128;
    let mut out = Vec::with_capacity(raw.len());
    for x in raw {
        let v = i128::from(x) + offset;
        match i64::try_from(v) {
            Ok(v) => out.push(v),
            Err(_) => return err(format!("value {v} does not fit int64")),
        }
    }
    Ok(Values::Int64(out))
}
