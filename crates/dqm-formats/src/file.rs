//! One entry point for the three formats: detect, list a sample, decode an ME from its location.

use crate::dqmio::{self, DqmioFile};
use crate::legacy;
use crate::listing::Listing;
use crate::me::{Location, Me, Scalar};
use crate::pb::{PbFile, MAX_INFLATED};
use rootfile::container::{Record, RootFile};
use rootfile::error::{Error, Result};
use rootfile::models::{ObjString, Object};
use rootfile::source::ByteSource;

/// The on-disk format, numbered as the DQM GUI's `fileformat`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Legacy = 1,
    Dqmio = 2,
    Protobuf = 3,
}

impl Format {
    /// The DQM GUI name (`DQMCLASSIC`, `DQMIO`, `PROTOBUF`).
    pub fn name(self) -> &'static str {
        match self {
            Format::Legacy => "DQMCLASSIC",
            Format::Dqmio => "DQMIO",
            Format::Protobuf => "PROTOBUF",
        }
    }
}

/// A decoded ME: a scalar value, or a ROOT object.
#[derive(Clone, Debug, PartialEq)]
pub enum Decoded {
    Scalar(Scalar),
    Object(Object),
}

/// An open DQM file of any format.
pub enum DqmFile<S: ByteSource> {
    Legacy(RootFile<S>),
    Dqmio(DqmioFile<S>),
    Protobuf(PbFile),
}

impl<S: ByteSource> DqmFile<S> {
    /// Opens `source`, detecting the format: a ROOT file with a top-level `Indices` tree is DQMIO, another
    /// ROOT file is legacy, anything else is read as ROOTFilePB (gzipped or not).
    pub fn open(source: S, name: impl Into<String>) -> Result<Self> {
        let name = name.into();
        if source.is_empty() {
            return Err(Error::new(format!("{name}: empty file")));
        }
        let magic = source.read_at(0, 4.min(source.len() as usize))?;
        if magic == b"root" {
            let file = RootFile::open(source, name)?;
            let is_dqmio = file
                .top()
                .get("Indices")
                .is_some_and(|k| k.class_name == "TTree");
            return Ok(if is_dqmio {
                DqmFile::Dqmio(DqmioFile::open(file)?)
            } else {
                DqmFile::Legacy(file)
            });
        }
        if source.len() > MAX_INFLATED {
            return Err(Error::new(format!(
                "{name}: {} bytes is too large for a PB file",
                source.len()
            )));
        }
        let bytes = source.read_at(0, source.len() as usize)?;
        Ok(DqmFile::Protobuf(PbFile::open(bytes, name)?))
    }

    pub fn format(&self) -> Format {
        match self {
            DqmFile::Legacy(_) => Format::Legacy,
            DqmFile::Dqmio(_) => Format::Dqmio,
            DqmFile::Protobuf(_) => Format::Protobuf,
        }
    }

    /// Lists sample `(run, lumi)`.
    /// - Legacy: lumi is ignored; the `Run run` directory if there is one, else every run directory (the run
    ///   number is not checked, as in the original).
    /// - DQMIO: the `Indices` rows of `(run, lumi)`.
    /// - PB: the whole file (one file is one sample), stored under the given run and lumi.
    pub fn list(&self, run: u32, lumi: u32) -> Result<Listing> {
        match self {
            DqmFile::Legacy(file) => {
                let mut all = legacy::list(file, legacy::DEFAULT_BLACKLIST)?;
                if all.mes.iter().any(|m| m.run == run) {
                    all.mes.retain(|m| m.run == run);
                }
                Ok(all)
            }
            DqmFile::Dqmio(file) => file.list(run, lumi),
            DqmFile::Protobuf(file) => file.list(run, lumi),
        }
    }

    /// Every ME of every sample in the file (`run` and `lumi` say which sample each belongs to).
    /// PB files have no run of their own: `pb_run` is used (e.g. from the file name).
    pub fn list_all(&self, pb_run: u32) -> Result<Listing> {
        match self {
            DqmFile::Legacy(file) => legacy::list(file, legacy::DEFAULT_BLACKLIST),
            DqmFile::Dqmio(file) => {
                let mut out = Listing::default();
                for (run, lumi) in file.samples() {
                    let part = file.list(run, lumi)?;
                    out.mes.extend(part.mes);
                    out.warnings.extend(part.warnings);
                }
                Ok(out)
            }
            DqmFile::Protobuf(file) => file.list(pb_run, 0),
        }
    }

    /// Decodes one listed ME from its location.
    pub fn decode(&self, me: &Me) -> Result<Decoded> {
        if let Some(value) = &me.value {
            return Ok(Decoded::Scalar(value.clone()));
        }
        let object = match (self, &me.location) {
            (DqmFile::Legacy(file), Location::Key { seek, .. }) => {
                file.object(&legacy::key_at(file, *seek)?)?
            }
            (DqmFile::Dqmio(file), Location::Tree { tree, entry }) => file.decode(tree, *entry)?,
            (DqmFile::Dqmio(file), Location::Basket { span, encoding }) => {
                dqmio::decode_span(file.root().source(), span, *encoding, me.me_type)
                    .map_err(|e| e.context(file.root().name()))?
            }
            (DqmFile::Protobuf(file), Location::Pb { offset, len }) => {
                file.decode(*offset, *len)?
            }
            (_, location) => {
                return Err(Error::new(format!(
                    "{location:?} is not a location in a {} file",
                    self.format().name()
                )))
            }
        };
        checked(me, object)
    }
}

/// Decodes `me` straight from `source` when its location needs none of the file's structure (a legacy key or a
/// DQMIO basket span, both read with one read), instead of [`DqmFile::open`] reading the header, the top
/// directory and (DQMIO) the `Indices` tree first. `None` for the other locations: open the file for those.
pub fn decode_direct<S: ByteSource>(source: &S, name: &str, me: &Me) -> Option<Result<Decoded>> {
    if let Some(value) = &me.value {
        return Some(Ok(Decoded::Scalar(value.clone())));
    }
    let object = match &me.location {
        Location::Key { seek, nbytes } => {
            Record::read(source, *seek, *nbytes).and_then(|r| r.object())
        }
        Location::Basket { span, encoding } => {
            dqmio::decode_span(source, span, *encoding, me.me_type)
        }
        Location::Tree { .. } | Location::Pb { .. } | Location::Inline => return None,
    };
    Some(
        object
            .map_err(|e| e.context(name))
            .and_then(|object| checked(me, object)),
    )
}

/// The object, if it is of the ME's class.
fn checked(me: &Me, object: Object) -> Result<Decoded> {
    let class = object.class_name();
    if class != me.me_type.name() {
        return Err(Error::new(format!(
            "{}: expected a {}, decoded a {class}",
            me.path_string(),
            me.me_type
        )));
    }
    Ok(Decoded::Object(object))
}

/// The run in an online PB file name `run<digits>_ls…`, if it has one.
pub fn run_from_pb_name(name: &str) -> Option<u32> {
    let base = name.rsplit('/').next()?;
    let digits: String = base
        .strip_prefix("run")?
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse().ok()
}

/// The body `/api/v1/json` serves for an ME: TBufferJSON of the object (scalars as a `TObjString` of their text),
/// with `dqmProperties` appended last (dqmgui-api.md §6.11, §8).
pub fn api_json(decoded: &Decoded, efficiency: bool) -> String {
    let properties = format!(r#"{{"efficiency": {efficiency}}}"#);
    let trailing = [("dqmProperties", properties.as_str())];
    match decoded {
        Decoded::Object(object) => rootfile::json::to_json(object, &trailing),
        Decoded::Scalar(value) => {
            let string = ObjString {
                object: Default::default(),
                string: scalar_text(value),
            };
            rootfile::json::to_json(&Object::ObjString(string), &trailing)
        }
    }
}

/// The text a scalar is served as (dqmgui-api.md §8.4): Int decimal, Float as Python `repr`, String as is.
pub fn scalar_text(value: &Scalar) -> String {
    match value {
        Scalar::Int(v) => v.to_string(),
        Scalar::Float(v) => rootfile::json::python_repr(*v),
        Scalar::String(s) => s.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalar_texts() {
        assert_eq!(scalar_text(&Scalar::Int(-42)), "-42");
        assert_eq!(scalar_text(&Scalar::Float(5.0)), "5.0");
        assert_eq!(scalar_text(&Scalar::Float(1.25e-07)), "1.25e-07");
        assert_eq!(scalar_text(&Scalar::String("a <b>".into())), "a <b>");
    }

    #[test]
    fn api_json_of_a_scalar() {
        let json = api_json(&Decoded::Scalar(Scalar::Int(123456)), false);
        assert_eq!(
            json,
            r#"{"_typename": "TObjString", "fUniqueID": 0, "fBits": 0, "fString": "123456", "dqmProperties": {"efficiency": false}}"#
        );
    }

    #[test]
    fn pb_run_from_name() {
        assert_eq!(
            run_from_pb_name("/a/run123456_ls0003_streamDQMHistograms.pb"),
            Some(123456)
        );
        assert_eq!(run_from_pb_name("x.pb"), None);
    }
}
