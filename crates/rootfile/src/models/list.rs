//! TList/THashList, TObjString, TNamed and TParameter<T> objects.

use super::{Decoder, Object};
use crate::buffer::TObject;
use crate::error::Result;

/// A TList or THashList (both streamed by the TList streamer).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct List {
    /// "TList" or "THashList".
    pub class: String,
    pub object: TObject,
    pub name: String,
    pub items: Vec<ListItem>,
}

/// One list element and its option string.
#[derive(Debug, Clone, PartialEq)]
pub struct ListItem {
    pub object: Option<Object>,
    pub option: String,
}

/// TObjString.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ObjString {
    pub object: TObject,
    pub string: String,
}

/// TParameter<T>: a named value (a TObject with fName, no title).
#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    pub class: String,
    pub object: TObject,
    pub name: String,
    pub value: f64,
}

impl List {
    /// Reads a list body of class `class` (after its class tag, or inline for `->` members).
    pub fn read(d: &mut Decoder, class: &str) -> Result<Self> {
        d.class(class, 4, 5, |d, _| {
            let object = d.tobject()?;
            let name = d.tstring()?;
            // Each element takes at least 5 bytes (pointer word + option length).
            let n = d.count(5, "list elements")?;
            let mut items = Vec::with_capacity(n);
            for _ in 0..n {
                let object = d.pointer()?;
                let option = d.tstring()?;
                items.push(ListItem { object, option });
            }
            Ok(List { class: class.to_owned(), object, name, items })
        })
    }
}

impl ObjString {
    pub fn read(d: &mut Decoder) -> Result<Self> {
        d.class("TObjString", 1, 1, |d, _| Ok(ObjString { object: d.tobject()?, string: d.tstring()? }))
    }
}

impl Parameter {
    /// TParameter<double|float|int|Long64_t|bool>; the value is kept as f64 (exact for these types
    /// except Long64_t beyond 2^53).
    pub fn read(d: &mut Decoder, class: &str) -> Result<Self> {
        let Some(arg) = class.strip_prefix("TParameter<").and_then(|s| s.strip_suffix('>')) else {
            return Err(d.error(format!("unsupported class {class}")));
        };
        d.class(class, 1, 1, |d, _| {
            let object = d.tobject()?;
            let name = d.tstring()?;
            let value = match arg {
                "double" | "Double_t" => d.f64()?,
                "float" | "Float_t" => d.f32()? as f64,
                "int" | "Int_t" => d.i32()? as f64,
                "Long64_t" | "long long" | "Long_t" | "long" => d.i64()? as f64,
                "bool" | "Bool_t" => d.bool()? as u8 as f64,
                _ => return Err(d.error(format!("unsupported class {class}"))),
            };
            Ok(Parameter { class: class.to_owned(), object, name, value })
        })
    }
}
