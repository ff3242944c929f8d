//! BINTABLE HDUs: `TFORMn` (`rT`), `TTYPEn`, `TDIMn`, `TZEROn`/`TSCALn`, logical columns, zero-column tables.

use crate::array::{Array, Values};
use crate::header::Header;
use crate::image::{decode, integer_values};
use crate::{err, Column, FitsError, FitsResult, HduData};

/// FITS allows at most 999 fields.
const MAX_FIELDS: i64 = 999;

struct Field {
    name: String,
    code: char,
    width: usize,
    element_shape: Vec<usize>,
}

pub(crate) fn read(header: &Header, data: &[u8]) -> FitsResult<HduData> {
    let row_bytes = header.count("NAXIS1", i64::MAX)?;
    let rows = header.count("NAXIS2", i64::MAX)?;
    let fields = header.count("TFIELDS", MAX_FIELDS)?;
    let table = data
        .get(
            ..row_bytes
                .checked_mul(rows)
                .ok_or_else(|| FitsError("table size overflows".into()))?,
        )
        .ok_or_else(|| FitsError("table larger than its data".into()))?;
    let mut columns = Vec::new();
    let mut skipped = Vec::new();
    let mut offset = 0usize;
    for i in 1..=fields {
        let field = parse_field(header, i)?;
        let end = offset
            .checked_add(field.width)
            .filter(|&end| end <= row_bytes)
            .ok_or_else(|| FitsError(format!("column {i} lies outside NAXIS1 = {row_bytes}")))?;
        match decode_column(header, i, &field, table, row_bytes, offset, rows)? {
            Some(values) => {
                let mut shape = vec![rows];
                shape.extend(&field.element_shape);
                columns.push(Column {
                    name: field.name,
                    array: Array { shape, values },
                });
            }
            None => skipped.push(field.name),
        }
        offset = end;
    }
    Ok(HduData::Table { columns, skipped })
}

fn parse_field(header: &Header, i: usize) -> FitsResult<Field> {
    let tform = header
        .string(&format!("TFORM{i}"))
        .ok_or_else(|| FitsError(format!("missing TFORM{i}")))?
        .trim();
    let digits = tform.chars().take_while(char::is_ascii_digit).count();
    let repeat = if digits == 0 {
        1
    } else {
        tform[..digits]
            .parse::<usize>()
            .map_err(|_| FitsError(format!("bad TFORM{i} {tform:?}")))?
    };
    let code = tform[digits..]
        .chars()
        .next()
        .ok_or_else(|| FitsError(format!("bad TFORM{i} {tform:?}")))?;
    let size = match code {
        'L' | 'B' | 'A' => 1,
        'I' => 2,
        'J' | 'E' => 4,
        'K' | 'D' | 'C' => 8,
        'M' => 16,
        'P' => 8,
        'Q' => 16,
        'X' => 0,
        other => return err(format!("bad TFORM{i} type {other:?}")),
    };
    let width = match code {
        'X' => repeat.div_ceil(8),
        'P' | 'Q' => size * repeat.min(1),
        _ => repeat
            .checked_mul(size)
            .ok_or_else(|| FitsError(format!("TFORM{i} too wide")))?,
    };
    let element_shape = match header.string(&format!("TDIM{i}")) {
        Some(tdim) if !matches!(code, 'A' | 'P' | 'Q' | 'X') => parse_tdim(tdim, repeat)
            .ok_or_else(|| {
                FitsError(format!(
                    "TDIM{i} {tdim:?} does not match TFORM{i} {tform:?}"
                ))
            })?,
        _ if repeat == 1 => Vec::new(),
        _ => vec![repeat],
    };
    let name = header
        .string(&format!("TTYPE{i}"))
        .map(str::to_owned)
        .unwrap_or_else(|| format!("col{}", i - 1));
    Ok(Field {
        name,
        code,
        width,
        element_shape,
    })
}

/// `(d1,d2,…)` fastest first → a C-order element shape, whose product must be the repeat count.
fn parse_tdim(tdim: &str, repeat: usize) -> Option<Vec<usize>> {
    let inner = tdim.trim().strip_prefix('(')?.strip_suffix(')')?;
    let dims: Vec<usize> = inner
        .split(',')
        .map(|d| d.trim().parse().ok())
        .collect::<Option<_>>()?;
    let product = dims.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d))?;
    (product == repeat).then(|| dims.into_iter().rev().collect())
}

/// The column's values in row order, or `None` for types this reader does not decode.
fn decode_column(
    header: &Header,
    i: usize,
    field: &Field,
    table: &[u8],
    row_bytes: usize,
    offset: usize,
    rows: usize,
) -> FitsResult<Option<Values>> {
    let bitpix = match field.code {
        'L' => 0,
        'B' => 8,
        'I' => 16,
        'J' => 32,
        'K' => 64,
        'E' => -32,
        'D' => -64,
        _ => return Ok(None),
    };
    let mut bytes = Vec::with_capacity(field.width * rows);
    for row in 0..rows {
        let start = row * row_bytes + offset;
        bytes.extend_from_slice(&table[start..start + field.width]);
    }
    if field.code == 'L' {
        // 'T' is true; 'F' and 0 (undefined) read as false.
        return Ok(Some(Values::Bool(
            bytes.iter().map(|&b| b == b'T').collect(),
        )));
    }
    let scale = header.real(&format!("TSCAL{i}")).unwrap_or(1.0);
    let zero = header.real(&format!("TZERO{i}")).unwrap_or(0.0);
    let values = decode(bitpix, &bytes, 1.0, 0.0)?;
    Ok(Some(match values {
        Values::Int64(raw) => integer_values(raw, scale, zero)?,
        Values::Float64(v) if scale != 1.0 || zero != 0.0 => {
            Values::Float64(v.into_iter().map(|x| x * scale + zero).collect())
        }
        other => other,
    }))
}
