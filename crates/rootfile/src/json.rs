//! TBufferJSON-compatible serialisation of the models (dqmgui-api.md §8), written with Python
//! `json.dumps` separators and escaping so output compares byte-for-byte with the recorded one.

use std::fmt::Write;

use crate::buffer::TObject;
use crate::models::{Axis, BinArray, Histogram, List, Named, Object};

/// Serialises `object` as TBufferJSON would (after Python's re-dump). `trailing` members are
/// appended last as raw JSON, e.g. `[("dqmProperties", r#"{"efficiency": false}"#)]`.
pub fn to_json(object: &Object, trailing: &[(&str, &str)]) -> String {
    let mut w = JsonWriter::default();
    w.object(object, trailing);
    w.out
}

/// Float_t: 7 significant digits; whole numbers below the limit are written as integers.
const F32_DIGITS: usize = 6;
const F32_INT_LIMIT: f64 = 1e7;
/// Double_t: 15 significant digits.
const F64_DIGITS: usize = 14;
const F64_INT_LIMIT: f64 = 1e15;

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
fn write_rounded(out: &mut String, v: f64, digits_after_point: usize, int_limit: f64) {
    if !v.is_finite() {
        out.push_str("null");
        return;
    }
    // Whole numbers under the limit have at most `digits_after_point + 1` digits, so rounding keeps them as they
    // are: skip the format-and-parse (most bin contents and errors of a histogram are whole).
    if v.fract() == 0.0 && v.abs() < int_limit {
        let _ = write!(out, "{}", v as i64);
        return;
    }
    let mut text = StackText::default();
    let rounded: f64 = match write!(text, "{v:.digits_after_point$e}") {
        Ok(()) => text.as_str().parse().unwrap_or(v),
        Err(_) => format!("{v:.digits_after_point$e}").parse().unwrap_or(v),
    };
    if rounded.fract() == 0.0 && rounded.abs() < int_limit {
        let _ = write!(out, "{}", rounded as i64);
        return;
    }
    write_python_repr(out, rounded);
}

/// Python's `repr(float)`: shortest round-trip digits, fixed notation for exponents in [-4, 16)
/// (always with a fraction), scientific otherwise (`1.25e-07`, `1e+16`).
pub fn python_repr(v: f64) -> String {
    let mut out = String::new();
    write_python_repr(&mut out, v);
    out
}

fn write_python_repr(out: &mut String, v: f64) {
    if v.is_nan() {
        out.push_str("nan");
        return;
    }
    if v.is_infinite() {
        out.push_str(if v > 0.0 { "inf" } else { "-inf" });
        return;
    }
    // A value in [1e-4, 1e16) has its shortest digits' exponent in [-4, 16) (rounding is monotonic), and Display
    // writes those same shortest digits in fixed notation: only Python's `.0` of whole numbers is missing.
    let abs = v.abs();
    if abs == 0.0 || (1e-4..1e16).contains(&abs) {
        let start = out.len();
        let _ = write!(out, "{v}");
        if !out[start..].contains('.') {
            out.push_str(".0");
        }
        return;
    }
    let sci = format!("{:e}", abs); // e.g. "1.25e-7"
    let (mantissa, exp) = sci.split_once('e').expect("LowerExp has an exponent");
    let exp: i32 = exp.parse().expect("integer exponent");
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let sign = if v.is_sign_negative() { "-" } else { "" };
    let mantissa = if digits.len() > 1 { format!("{}.{}", &digits[..1], &digits[1..]) } else { digits };
    let esign = if exp < 0 { '-' } else { '+' };
    let _ = write!(out, "{sign}{mantissa}e{esign}{:02}", exp.abs());
}

/// A short formatted number on the stack (a float in `{:e}` form is at most ~25 bytes); longer text is an error.
struct StackText {
    bytes: [u8; 32],
    len: usize,
}

impl Default for StackText {
    fn default() -> Self {
        StackText { bytes: [0; 32], len: 0 }
    }
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

/// Appends `s` as a JSON string the way Python's `json.dumps` (ensure_ascii) does. Runs of printable ASCII, most
/// of every key and name, are copied in one piece.
pub fn write_string(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    let bytes = s.as_bytes();
    let (mut plain_from, mut at) = (0, 0);
    while at < bytes.len() {
        let b = bytes[at];
        if (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\' {
            at += 1;
            continue;
        }
        out.push_str(&s[plain_from..at]);
        // `at` is on a char boundary: it only ever moves past whole ASCII bytes or whole chars.
        let Some(c) = s[at..].chars().next() else { break };
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
        at += c.len_utf8();
        plain_from = at;
    }
    out.push_str(&s[plain_from..]);
    out.push('"');
}

/// A streaming writer for the TBufferJSON member layout.
#[derive(Default)]
struct JsonWriter {
    out: String,
    /// Whether the innermost open object/array already has an element.
    has_element: Vec<bool>,
    /// A key was just written: its value takes no separator.
    after_key: bool,
}

impl JsonWriter {
    fn separator(&mut self) {
        if std::mem::take(&mut self.after_key) {
            return;
        }
        if let Some(has) = self.has_element.last_mut() {
            if *has {
                self.out.push_str(", ");
            }
            *has = true;
        }
    }

    fn open(&mut self, bracket: char) {
        self.separator();
        self.out.push(bracket);
        self.has_element.push(false);
    }

    fn close(&mut self, bracket: char) {
        self.has_element.pop();
        self.out.push(bracket);
    }

    fn key(&mut self, key: &str) {
        self.separator();
        write_string(&mut self.out, key);
        self.out.push_str(": ");
        self.after_key = true;
    }

    fn raw(&mut self, text: &str) {
        self.separator();
        self.out.push_str(text);
    }

    fn str(&mut self, key: &str, value: &str) {
        self.key(key);
        self.separator();
        write_string(&mut self.out, value);
    }

    fn num(&mut self, key: &str, value: impl std::fmt::Display) {
        self.key(key);
        self.display(value);
    }

    /// A value written straight into the output (no string of its own).
    fn display(&mut self, value: impl std::fmt::Display) {
        self.separator();
        let _ = write!(self.out, "{value}");
    }

    /// A rounded float; whole ones (most bin contents) are written without the format-and-parse.
    fn rounded(&mut self, v: f64, digits_after_point: usize, int_limit: f64) {
        self.separator();
        write_rounded(&mut self.out, v, digits_after_point, int_limit);
    }

    fn f32(&mut self, key: &str, v: f32) {
        self.key(key);
        self.rounded(v as f64, F32_DIGITS, F32_INT_LIMIT);
    }

    fn f64(&mut self, key: &str, v: f64) {
        self.key(key);
        self.rounded(v, F64_DIGITS, F64_INT_LIMIT);
    }

    fn f64_array(&mut self, key: &str, values: &[f64]) {
        self.key(key);
        self.open('[');
        for v in values {
            self.rounded(*v, F64_DIGITS, F64_INT_LIMIT);
        }
        self.close(']');
    }

    fn tobject(&mut self, typename: &str, o: &TObject) {
        self.str("_typename", typename);
        self.num("fUniqueID", o.unique_id);
        // kMustCleanup is a run-time bit that TBufferJSON does not show.
        self.num("fBits", o.bits & !0x8);
    }

    fn named(&mut self, typename: &str, n: &Named) {
        self.tobject(typename, &n.object);
        self.str("fName", &n.name);
        self.str("fTitle", &n.title);
    }

    fn object(&mut self, object: &Object, trailing: &[(&str, &str)]) {
        self.open('{');
        match object {
            Object::Histogram(h) => self.histogram(h),
            Object::ObjString(s) => {
                self.tobject("TObjString", &s.object);
                self.str("fString", &s.string);
            }
            Object::Named(n) => self.named("TNamed", n),
            Object::Parameter(p) => {
                self.tobject(&p.class, &p.object);
                self.str("fName", &p.name);
                self.f64("fVal", p.value);
            }
            Object::List(l) => self.list_members(l),
            // Not a TObject: our own small form, so that `trailing` members still have a place.
            Object::StdString(s) => {
                self.str("_typename", "string");
                self.str("value", s);
            }
            Object::Unknown { class } => self.str("_typename", class),
        }
        for (key, raw) in trailing {
            self.key(key);
            self.raw(raw);
        }
        self.close('}');
    }

    fn optional_list(&mut self, key: &str, list: Option<&List>) {
        self.key(key);
        match list {
            Some(l) => {
                self.open('{');
                self.list_members(l);
                self.close('}');
            }
            None => self.raw("null"),
        }
    }

    fn list_members(&mut self, l: &List) {
        self.str("_typename", &l.class);
        self.str("name", if l.name.is_empty() { &l.class } else { &l.name });
        self.key("arr");
        self.open('[');
        for item in &l.items {
            match &item.object {
                Some(o) => self.object(o, &[]),
                None => self.raw("null"),
            }
        }
        self.close(']');
        self.key("opt");
        self.open('[');
        for item in &l.items {
            if item.option.is_empty() {
                self.raw("null");
            } else {
                self.separator();
                write_string(&mut self.out, &item.option);
            }
        }
        self.close(']');
    }

    fn axis(&mut self, key: &str, a: &Axis) {
        self.key(key);
        self.open('{');
        self.named("TAxis", &a.named);
        let t = &a.att;
        self.num("fNdivisions", t.ndivisions);
        self.num("fAxisColor", t.axis_color);
        self.num("fLabelColor", t.label_color);
        self.num("fLabelFont", t.label_font);
        self.f32("fLabelOffset", t.label_offset);
        self.f32("fLabelSize", t.label_size);
        self.f32("fTickLength", t.tick_length);
        self.f32("fTitleOffset", t.title_offset);
        self.f32("fTitleSize", t.title_size);
        self.num("fTitleColor", t.title_color);
        self.num("fTitleFont", t.title_font);
        self.num("fNbins", a.nbins);
        self.f64("fXmin", a.xmin);
        self.f64("fXmax", a.xmax);
        self.f64_array("fXbins", &a.xbins);
        self.num("fFirst", a.first);
        self.num("fLast", a.last);
        self.num("fBits2", a.bits2);
        self.num("fTimeDisplay", a.time_display);
        self.str("fTimeFormat", &a.time_format);
        self.optional_list("fLabels", a.labels.as_ref());
        self.optional_list("fModLabs", a.mod_labs.as_ref());
        self.close('}');
    }

    fn histogram(&mut self, h: &Histogram) {
        let t = &h.th1;
        self.named(h.kind.class_name(), &t.named);
        self.num("fLineColor", t.line.color);
        self.num("fLineStyle", t.line.style);
        self.num("fLineWidth", t.line.width);
        self.num("fFillColor", t.fill.color);
        self.num("fFillStyle", t.fill.style);
        self.num("fMarkerColor", t.marker.color);
        self.num("fMarkerStyle", t.marker.style);
        self.f32("fMarkerSize", t.marker.size);
        self.num("fNcells", t.ncells);
        self.axis("fXaxis", &t.xaxis);
        self.axis("fYaxis", &t.yaxis);
        self.axis("fZaxis", &t.zaxis);
        self.num("fBarOffset", t.bar_offset);
        self.num("fBarWidth", t.bar_width);
        for (key, v) in [
            ("fEntries", t.entries),
            ("fTsumw", t.tsumw),
            ("fTsumw2", t.tsumw2),
            ("fTsumwx", t.tsumwx),
            ("fTsumwx2", t.tsumwx2),
            ("fMaximum", t.maximum),
            ("fMinimum", t.minimum),
            ("fNormFactor", t.norm_factor),
        ] {
            self.f64(key, v);
        }
        self.f64_array("fContour", &t.contour);
        self.f64_array("fSumw2", &t.sumw2);
        self.str("fOption", &t.option);
        self.optional_list("fFunctions", Some(&t.functions));
        self.num("fBufferSize", t.buffer_size);
        let buffer = if t.buffer_size == 0 { &[][..] } else { &t.buffer[..] };
        self.f64_array("fBuffer", buffer);
        self.num("fBinStatErrOpt", t.bin_stat_err_opt);
        self.num("fStatOverflows", t.stat_overflows);
        if let Some(s) = &h.th2 {
            for (key, v) in [
                ("fScalefactor", s.scalefactor),
                ("fTsumwy", s.tsumwy),
                ("fTsumwy2", s.tsumwy2),
                ("fTsumwxy", s.tsumwxy),
            ] {
                self.f64(key, v);
            }
        }
        if let Some(s) = &h.th3 {
            for (key, v) in [
                ("fTsumwy", s.tsumwy),
                ("fTsumwy2", s.tsumwy2),
                ("fTsumwxy", s.tsumwxy),
                ("fTsumwz", s.tsumwz),
                ("fTsumwz2", s.tsumwz2),
                ("fTsumwxz", s.tsumwxz),
                ("fTsumwyz", s.tsumwyz),
            ] {
                self.f64(key, v);
            }
        }
        self.bins(&h.array);
        if let Some(p) = &h.profile {
            let axis = if h.kind.dim == 1 { 'Y' } else { 'Z' };
            let lower = axis.to_ascii_lowercase();
            self.f64_array("fBinEntries", &p.bin_entries);
            self.num("fErrorMode", p.error_mode);
            self.f64(&format!("f{axis}min"), p.min);
            self.f64(&format!("f{axis}max"), p.max);
            self.f64(&format!("fTsumw{lower}"), p.tsumw_v);
            self.f64(&format!("fTsumw{lower}2"), p.tsumw_v2);
            self.f64_array("fBinSumw2", &p.bin_sumw2);
        }
    }

    fn bins(&mut self, array: &BinArray) {
        self.key("fArray");
        self.open('[');
        match array {
            BinArray::C(v) => v.iter().for_each(|x| self.display(x)),
            BinArray::S(v) => v.iter().for_each(|x| self.display(x)),
            BinArray::I(v) => v.iter().for_each(|x| self.display(x)),
            BinArray::F(v) => v.iter().for_each(|x| self.rounded(*x as f64, F32_DIGITS, F32_INT_LIMIT)),
            BinArray::D(v) => v.iter().for_each(|x| self.rounded(*x, F64_DIGITS, F64_INT_LIMIT)),
        }
        self.close(']');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The char-by-char form `write_string` had before it copied plain runs whole.
    fn char_by_char(s: &str) -> String {
        let mut out = String::from('"');
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\u{8}' => out.push_str("\\b"),
                '\u{c}' => out.push_str("\\f"),
                c if !(' '..='~').contains(&c) => {
                    let mut units = [0u16; 2];
                    for unit in c.encode_utf16(&mut units) {
                        out.push_str(&format!("\\u{unit:04x}"));
                    }
                }
                c => out.push(c),
            }
        }
        out.push('"');
        out
    }

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

    #[test]
    fn strings_escape_like_python() {
        for s in ["", "plain", "a\"b\\c", "é", "x\u{1F600}y", "\u{0}\u{1f}\u{7f}~ ", "\n\r\t\u{8}\u{c}", "µs\"", "end\\"] {
            let mut out = String::new();
            write_string(&mut out, s);
            assert_eq!(out, char_by_char(s), "{s:?}");
        }
        let mut out = String::new();
        write_string(&mut out, "é\u{1F600}");
        assert_eq!(out, r#""\u00e9\ud83d\ude00""#);
    }
}
