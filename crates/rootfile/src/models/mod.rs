//! Decoded ROOT objects (histograms, strings, lists) read member by member by class version.

pub mod axis;
pub mod base;
pub mod hist;
pub mod list;
pub mod stats;

pub use axis::Axis;
pub use base::{AttAxis, AttFill, AttLine, AttMarker, Named};
pub use hist::{BinArray, HistKind, Histogram, ProfileData, Th1, Th2Stats, Th3Stats};
pub use list::{List, ListItem, ObjString, Parameter};

use crate::buffer::{PointerTag, Reader};
use crate::error::{Error, Result};
use std::collections::HashMap;
use std::ops::{Deref, DerefMut};

/// A decoded object.
#[derive(Debug, Clone, PartialEq)]
pub enum Object {
    Histogram(Box<Histogram>),
    ObjString(ObjString),
    Named(Named),
    Parameter(Parameter),
    List(List),
    /// A `std::string` written as a key of class `string` (e.g. DQMIO's `cms::edm::GUID`).
    StdString(String),
    /// An object inside a list or pointer whose class this crate does not model (e.g. a TF1);
    /// it was skipped through its byte count.
    Unknown {
        class: String,
    },
}

impl Object {
    pub fn class_name(&self) -> &str {
        match self {
            Object::Histogram(h) => h.kind.class_name(),
            Object::ObjString(_) => "TObjString",
            Object::Named(_) => "TNamed",
            Object::Parameter(p) => &p.class,
            Object::List(l) => &l.class,
            Object::StdString(_) => "string",
            Object::Unknown { class } => class,
        }
    }
}

/// Whether `class` can be decoded by [`decode`].
pub fn is_supported(class: &str) -> bool {
    HistKind::from_class(class).is_some()
        || matches!(class, "TObjString" | "TNamed" | "TList" | "THashList" | "string")
        || class.starts_with("TParameter<")
}

/// Decodes an object of class `class` whose streamed bytes (starting with its class header) are
/// `bytes`; `base` is the buffer-frame position of `bytes[0]` (a legacy key's fKeyLen).
pub fn decode(class: &str, bytes: &[u8], base: u32) -> Result<Object> {
    let mut d = Decoder::new(bytes, base);
    d.object(class)
}

/// Decodes a `WriteObjectAny` buffer: byte count, class tag (with class name), then the object.
pub fn decode_object_any(bytes: &[u8], base: u32) -> Result<Object> {
    let mut d = Decoder::new(bytes, base);
    d.pointer()?.ok_or_else(|| Error::new("null object"))
}

/// A TBufferFile reader plus the map of objects already read (for object references).
pub struct Decoder<'a> {
    reader: Reader<'a>,
    /// Small objects read through pointers, by reference key, with the bytes they took.
    objects: HashMap<u32, (Object, usize)>,
    /// Bytes of objects copied for references so far; capped so that references cannot
    /// multiply a small buffer into a huge decoded object.
    copied: usize,
    depth: usize,
}

/// Bound on object nesting (lists of lists …) so hostile input cannot exhaust the stack.
const MAX_NESTING: usize = 32;
/// References may copy at most this many times the buffer's size in objects.
const REFERENCE_COPY_FACTOR: usize = 4;

impl<'a> Deref for Decoder<'a> {
    type Target = Reader<'a>;
    fn deref(&self) -> &Reader<'a> {
        &self.reader
    }
}

impl DerefMut for Decoder<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.reader
    }
}

impl<'a> Decoder<'a> {
    pub fn new(bytes: &'a [u8], base: u32) -> Self {
        Decoder { reader: Reader::new(bytes, base), objects: HashMap::new(), copied: 0, depth: 0 }
    }

    /// Decodes an object of a known class at the cursor.
    pub fn object(&mut self, class: &str) -> Result<Object> {
        if self.depth >= MAX_NESTING {
            return Err(self.error("objects nested too deeply"));
        }
        self.depth += 1;
        let out = self.object_inner(class);
        self.depth -= 1;
        out
    }

    fn object_inner(&mut self, class: &str) -> Result<Object> {
        if let Some(kind) = HistKind::from_class(class) {
            return Ok(Object::Histogram(Box::new(Histogram::read(self, kind)?)));
        }
        Ok(match class {
            "TObjString" => Object::ObjString(ObjString::read(self)?),
            "TNamed" => Object::Named(Named::read(self)?),
            "TList" | "THashList" => Object::List(List::read(self, class)?),
            "string" => Object::StdString(self.tstring()?),
            _ if class.starts_with("TParameter<") => Object::Parameter(Parameter::read(self, class)?),
            _ => return Err(self.error(format!("unsupported class {class}"))),
        })
    }

    /// An object pointer: null, a reference to an earlier object, or a new object. Objects of
    /// classes this crate does not model are skipped by their byte count.
    pub fn pointer(&mut self) -> Result<Option<Object>> {
        match self.pointer_tag()? {
            PointerTag::Null => Ok(None),
            PointerTag::Reference(key) => {
                let Some((object, size)) = self.objects.get(&key) else {
                    return Err(self.error(format!("reference to unknown or unsupported object at offset {key}")));
                };
                self.copied += size;
                if self.copied > REFERENCE_COPY_FACTOR * self.len() {
                    return Err(self.error("too many object references"));
                }
                Ok(Some(object.clone()))
            }
            PointerTag::Object { class, end, object_key } => {
                let start = self.pos();
                let object = if is_supported(&class) {
                    let object = self.object(&class)?;
                    if let Some(end) = end {
                        if self.pos() != end {
                            return Err(
                                self.error(format!("{class} ended at {} but its byte count says {end}", self.pos()))
                            );
                        }
                    }
                    object
                } else {
                    let Some(end) = end.filter(|&end| end >= self.pos()) else {
                        return Err(self.error(format!("unsupported class {class} without a usable byte count")));
                    };
                    self.set_pos(end)?;
                    Object::Unknown { class }
                };
                // Only small leaf objects can be referenced (DQM objects never share lists or histograms).
                if !matches!(object, Object::List(_) | Object::Histogram(_)) {
                    self.objects.insert(object_key, (object.clone(), self.pos().saturating_sub(start) + 1));
                }
                Ok(Some(object))
            }
        }
    }

    /// A pointer that must hold a TList/THashList (or null).
    pub fn list_pointer(&mut self) -> Result<Option<List>> {
        match self.pointer()? {
            None => Ok(None),
            Some(Object::List(list)) => Ok(Some(list)),
            Some(other) => Err(self.error(format!("expected a list, found {}", other.class_name()))),
        }
    }

    /// Reads a class header, checks the version, runs `body`, and checks (or, for a newer
    /// version, skips to) the end given by the byte count.
    pub fn class<T>(
        &mut self,
        class: &str,
        min_version: u16,
        max_version: u16,
        body: impl FnOnce(&mut Self, u16) -> Result<T>,
    ) -> Result<T> {
        let header = self.class_header()?;
        let v = header.version;
        let newer = v > max_version;
        if v < min_version || (newer && header.end.is_none()) {
            return Err(self.error(format!("unsupported class version {class} v{v}")));
        }
        let out = body(self, v)?;
        if newer {
            self.skip_to_end(&header, class)?;
        } else {
            self.expect_end(&header, class)?;
        }
        Ok(out)
    }
}
