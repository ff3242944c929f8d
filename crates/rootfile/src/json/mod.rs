//! TBufferJSON-compatible serialisation of the models (dqmgui-api.md §8), written with Python
//! `json.dumps` separators and escaping so output compares byte-for-byte with the recorded one.

mod text;

use std::fmt::Write;
use std::ops::Range;

use crate::buffer::TObject;
use crate::models::{Axis, BinArray, Histogram, List, Named, Object};
pub use py_json::{repr as python_repr, write_string};
pub use text::{format_f32, format_f64};
use text::{write_rounded, F32_DIGITS, F32_INT_LIMIT, F64_DIGITS, F64_INT_LIMIT};

/// Serialises `object` as TBufferJSON would (after Python's re-dump). `trailing` members are
/// appended last as raw JSON, e.g. `[("dqmProperties", r#"{"efficiency": false}"#)]`.
pub fn to_json(object: &Object, trailing: &[(&str, &str)]) -> String {
    let mut w = JsonWriter::default();
    w.object(object, trailing);
    w.out
}

/// A streaming writer for the TBufferJSON member layout.
#[derive(Default)]
struct JsonWriter {
    out: String,
    /// Whether the innermost open object/array already has an element.
    has_element: Vec<bool>,
    /// A key was just written: its value takes no separator.
    after_key: bool,
    /// The last few non-whole floats written, as `((bits, digits), where in out)`: a histogram repeats its axes'
    /// attributes (label offset and size, tick length, title size) three times, and rounding is the slow path.
    recent: Vec<((u64, usize), Range<usize>)>,
}

/// How many rounded floats [`JsonWriter`] remembers.
const RECENT_FLOATS: usize = 8;

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
        if !v.is_finite() || (v.fract() == 0.0 && v.abs() < int_limit) {
            write_rounded(&mut self.out, v, digits_after_point, int_limit);
            return;
        }
        let key = (v.to_bits(), digits_after_point);
        if let Some((_, earlier)) = self.recent.iter().find(|(k, _)| *k == key) {
            let earlier = earlier.clone();
            self.out.extend_from_within(earlier);
            return;
        }
        let start = self.out.len();
        write_rounded(&mut self.out, v, digits_after_point, int_limit);
        if self.recent.len() == RECENT_FLOATS {
            self.recent.remove(0);
        }
        self.recent.push((key, start..self.out.len()));
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
