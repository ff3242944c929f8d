//! JSON text as Python's `json.dumps` writes it, appended to a `String` in place: strings with every non-ASCII
//! character as `\uXXXX` (`ensure_ascii`), floats as `repr(float)`. The original services answer through
//! `json.dumps`, so our answers match theirs byte for byte; every writer of such text calls these.

use std::fmt::Write;

/// Appends `s` as a JSON string, quotes included.
pub fn write_string(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    write_escaped(out, s);
    out.push('"');
}

/// Appends the inside of a JSON string: runs of printable ASCII (most of every key and name) are copied whole,
/// everything else is escaped.
pub fn write_escaped(out: &mut String, s: &str) {
    let bytes = s.as_bytes();
    let (mut run, mut at) = (0, 0);
    while at < bytes.len() {
        let b = bytes[at];
        if (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\' {
            at += 1;
            continue;
        }
        // `at` is on a char boundary: it only ever moves past whole ASCII bytes or whole chars.
        out.push_str(&s[run..at]);
        let Some(c) = s[at..].chars().next() else { break };
        escape_char(out, c);
        at += c.len_utf8();
        run = at;
    }
    out.push_str(&s[run..]);
}

fn escape_char(out: &mut String, c: char) {
    match c {
        '"' => out.push_str("\\\""),
        '\\' => out.push_str("\\\\"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\u{8}' => out.push_str("\\b"),
        '\u{c}' => out.push_str("\\f"),
        c => {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str("\\u");
                for shift in [12, 8, 4, 0] {
                    out.push(HEX[usize::from((*unit >> shift) & 0xf)] as char);
                }
            }
        }
    }
}

/// Appends an integer in decimal, through a stack buffer (no formatter machinery; hot routes write many).
pub fn write_int(out: &mut String, value: i64) {
    let mut buf = [0u8; 20];
    let mut at = buf.len();
    let mut rest = value.unsigned_abs();
    loop {
        at -= 1;
        buf[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    if value < 0 {
        out.push('-');
    }
    // Only ASCII digits were written.
    out.push_str(std::str::from_utf8(&buf[at..]).unwrap_or_default());
}

/// Python's `repr(float)`, as a new string.
pub fn repr(v: f64) -> String {
    let mut out = String::new();
    write_repr(&mut out, v);
    out
}

/// Appends Python's `repr(float)`: shortest round-trip digits, fixed notation for exponents in [-4, 16) (always
/// with a fraction), scientific otherwise (`1.25e-07`, `1e+16`); `nan`, `inf` and `-inf` as Python spells them.
pub fn write_repr(out: &mut String, v: f64) {
    if v.is_nan() {
        out.push_str("nan");
        return;
    }
    if v.is_infinite() {
        out.push_str(if v > 0.0 { "inf" } else { "-inf" });
        return;
    }
    let abs = v.abs();
    if abs < 1e15 && v == v.trunc() && v != 0.0 {
        // A whole number: its digits are the integer's, no shortest-digits search.
        write_int(out, v as i64);
        out.push_str(".0");
        return;
    }
    // A value in [1e-4, 1e16) has its shortest digits' exponent in [-4, 16) (rounding is monotonic), and Display
    // writes those same shortest digits in fixed notation: only Python's `.0` of whole numbers is missing.
    if abs == 0.0 || (1e-4..1e16).contains(&abs) {
        let start = out.len();
        let _ = write!(out, "{v}");
        if !out[start..].contains('.') {
            out.push_str(".0");
        }
        return;
    }
    let sci = format!("{abs:e}"); // e.g. "1.25e-7"
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let sign = if v.is_sign_negative() { "-" } else { "" };
    let mantissa = if digits.len() > 1 { format!("{}.{}", &digits[..1], &digits[1..]) } else { digits };
    let esign = if exp < 0 { '-' } else { '+' };
    let _ = write!(out, "{sign}{mantissa}e{esign}{:02}", exp.abs());
}

#[cfg(test)]
mod tests;
