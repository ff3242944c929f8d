//! Numbers as TBufferJSON rounds them and Python's `json.dumps` then writes them (`py_json`), appended to the
//! output in place (a histogram has hundreds of numbers: none gets a string of its own).

use std::fmt::Write;

use py_json::{write_int, write_repr};

/// Float_t: 7 significant digits; whole numbers below the limit are written as integers.
pub(super) const F32_DIGITS: usize = 6;
pub(super) const F32_INT_LIMIT: f64 = 1e7;
/// Double_t: 15 significant digits.
pub(super) const F64_DIGITS: usize = 14;
pub(super) const F64_INT_LIMIT: f64 = 1e15;

/// Float_t as TBufferJSON writes it: 7 significant digits, integers without a fraction.
pub fn format_f32(v: f32) -> String {
    format_rounded(v as f64, F32_DIGITS, F32_INT_LIMIT)
}

/// Double_t as TBufferJSON writes it: 15 significant digits, integers without a fraction.
pub fn format_f64(v: f64) -> String {
    format_rounded(v, F64_DIGITS, F64_INT_LIMIT)
}

fn format_rounded(v: f64, digits_after_point: usize, int_limit: f64) -> String {
    let mut out = String::new();
    write_rounded(&mut out, v, digits_after_point, int_limit);
    out
}

/// Appends `v` rounded to `digits_after_point + 1` significant digits, as TBufferJSON then Python write it.
pub(super) fn write_rounded(out: &mut String, v: f64, digits_after_point: usize, int_limit: f64) {
    if !v.is_finite() {
        out.push_str("null");
        return;
    }
    // Whole numbers under the limit have at most `digits_after_point + 1` digits, so rounding keeps them as they
    // are: skip the format-and-parse (most bin contents and errors of a histogram are whole).
    if v.fract() == 0.0 && v.abs() < int_limit {
        write_int(out, v as i64);
        return;
    }
    let mut text = StackText::default();
    let rounded: f64 = match write!(text, "{v:.digits_after_point$e}") {
        Ok(()) => text.as_str().parse().unwrap_or(v),
        Err(_) => format!("{v:.digits_after_point$e}").parse().unwrap_or(v),
    };
    if rounded.fract() == 0.0 && rounded.abs() < int_limit {
        write_int(out, rounded as i64);
        return;
    }
    write_repr(out, rounded);
}

/// A short formatted number on the stack (a float in `{:e}` form is at most ~25 bytes); longer text is an error.
#[derive(Default)]
struct StackText {
    bytes: [u8; 32],
    len: usize,
}

impl StackText {
    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or_default()
    }
}

impl Write for StackText {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        let room = self.bytes.get_mut(self.len..end).ok_or(std::fmt::Error)?;
        room.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use py_json::repr as python_repr;

    // The allocating forms the writers had before they wrote into the output.
    fn old_format_rounded(v: f64, digits_after_point: usize, int_limit: f64) -> String {
        if !v.is_finite() {
            return "null".to_owned();
        }
        // Whole numbers under the limit have at most `digits_after_point + 1` digits, so rounding keeps them as they
        // are: skip the format-and-parse (most bin contents and errors of a histogram are whole).
        if v.fract() == 0.0 && v.abs() < int_limit {
            return (v as i64).to_string();
        }
        let rounded: f64 = format!("{v:.digits_after_point$e}").parse().unwrap_or(v);
        if rounded.fract() == 0.0 && rounded.abs() < int_limit {
            return format!("{}", rounded as i64);
        }
        old_python_repr(rounded)
    }

    /// Python's `repr(float)`: shortest round-trip digits, fixed notation for exponents in [-4, 16)
    /// (always with a fraction), scientific otherwise (`1.25e-07`, `1e+16`).
    fn old_python_repr(v: f64) -> String {
        if v.is_nan() {
            return "nan".to_owned();
        }
        if v.is_infinite() {
            return if v > 0.0 { "inf" } else { "-inf" }.to_owned();
        }
        let sci = format!("{:e}", v.abs()); // e.g. "1.25e-7"
        let (mantissa, exp) = sci.split_once('e').expect("LowerExp has an exponent");
        let exp: i32 = exp.parse().expect("integer exponent");
        let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
        let sign = if v.is_sign_negative() { "-" } else { "" };
        if (-4..16).contains(&exp) {
            let point = exp + 1; // digits before the decimal point
            let body = if point <= 0 {
                format!("0.{}{digits}", "0".repeat((-point) as usize))
            } else if point as usize >= digits.len() {
                format!("{digits}{}.0", "0".repeat(point as usize - digits.len()))
            } else {
                format!("{}.{}", &digits[..point as usize], &digits[point as usize..])
            };
            format!("{sign}{body}")
        } else {
            let mantissa = if digits.len() > 1 { format!("{}.{}", &digits[..1], &digits[1..]) } else { digits };
            let esign = if exp < 0 { '-' } else { '+' };
            format!("{sign}{mantissa}e{esign}{:02}", exp.abs())
        }
    }

    #[test]
    fn numbers_are_written_as_before() {
        let mut values = vec![0.0, -0.0, 1e-4, 1e16, 1e15, 0.005, 0.035, -0.5, 99.5, 1e-5, 123456789.0, 0.1 + 0.2];
        for p in -30..30 {
            let x = 10f64.powi(p);
            values.extend([x, x.next_up(), x.next_down(), -x, x * 1.5, x * 9.999999]);
        }
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            values.push(f64::from_bits(state));
            values.push(f32::from_bits(state as u32) as f64);
            values.push((state % 1_000_000) as f64 / 1000.0);
        }
        for v in values {
            assert_eq!(python_repr(v), old_python_repr(v), "{v:e}");
            assert_eq!(format_f64(v), old_format_rounded(v, 14, 1e15), "{v:e}");
            assert_eq!(format_f32(v as f32), old_format_rounded(v as f32 as f64, 6, 1e7), "{v:e}");
        }
    }
}
