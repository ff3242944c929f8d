//! Format 3: ROOTFilePB protobuf files, one zlib'd TBufferFile object per `Histo` message (§6).

use crate::listing::Listing;
use crate::me::{split_path, Location, Me, Scalar};
use crate::pb_schema::{histo_records, Histo};
use crate::tags::{self, Tag};
use crate::types::MeType;
use flate2::read::{GzDecoder, ZlibDecoder};
use prost::Message;
use rootfile::error::{Error, Result};
use rootfile::models::{self, Object};
use std::io::Read;

/// `flags` bit of a per-lumi ME (informational).
pub const FLAG_LUMI: u32 = 0x0004_0000;
/// `flags` bit of an efficiency plot.
pub const FLAG_EFFICIENCY: u32 = 0x0020_0000;
/// Bound on a gunzipped file and on one inflated blob, against decompression bombs.
pub const MAX_INFLATED: u64 = 1 << 30;

/// A PB file held in memory (gunzipped if it was gzipped), with its `Histo` record offsets.
pub struct PbFile {
    name: String,
    data: Vec<u8>,
    records: Vec<(usize, usize)>,
}

impl PbFile {
    /// Parses the record framing of a PB file's bytes. `name` is used in error messages.
    pub fn open(bytes: Vec<u8>, name: impl Into<String>) -> Result<Self> {
        let name = name.into();
        let data = if bytes.starts_with(&[0x1f, 0x8b]) {
            inflate(GzDecoder::new(&bytes[..]), MAX_INFLATED)?
        } else {
            bytes
        };
        let records = histo_records(&data).map_err(|e| Error::new(format!("{name}: {e}")))?;
        Ok(PbFile {
            name,
            data,
            records,
        })
    }

    /// Number of `Histo` messages.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    fn histo(&self, offset: usize, len: usize) -> Result<Histo> {
        let bytes = offset
            .checked_add(len)
            .and_then(|end| self.data.get(offset..end));
        let bytes = bytes.ok_or_else(|| {
            Error::new(format!(
                "{}: no Histo message at offset {offset}",
                self.name
            ))
        })?;
        Histo::decode(bytes)
            .map_err(|e| Error::new(format!("{}: Histo at offset {offset}: {e}", self.name)))
    }

    /// Lists the file as the sample `(run, lumi)` (a PB file is one sample).
    pub fn list(&self, run: u32, lumi: u32) -> Result<Listing> {
        let mut out = Listing::default();
        let mut qtests = Vec::new();
        for &(offset, len) in &self.records {
            let histo = self.histo(offset, len)?;
            let ctx = |e: Error| e.context(format!("{}: {:?}", self.name, histo.full_pathname));
            let kind = histo.flags & 0xff;
            let Some(me_type) = MeType::from_pb_kind(kind) else {
                out.warn(format!(
                    "{:?}: unknown PB kind {kind:#x} skipped",
                    histo.full_pathname
                ));
                continue;
            };
            let mut value = None;
            if me_type.is_scalar() {
                let text = scalar_text(&histo).map_err(ctx)?;
                match tags::parse(&text).map(|(_, tag)| tag) {
                    Some(Tag::Int(v)) if me_type == MeType::Int => value = Some(Scalar::Int(v)),
                    Some(Tag::Float(v)) if me_type == MeType::Float => {
                        value = Some(Scalar::Float(v))
                    }
                    Some(Tag::String(v)) if me_type == MeType::String => {
                        value = Some(Scalar::String(v.into()))
                    }
                    Some(Tag::QTest(test)) => {
                        qtests.push((histo.full_pathname, test));
                        continue;
                    }
                    _ => {
                        out.warn(format!(
                            "{:?}: {me_type} scalar {text:?} not understood",
                            histo.full_pathname
                        ));
                        continue;
                    }
                }
            }
            let location = Location::Pb {
                offset: offset as u64,
                len: len as u32,
            };
            out.mes.push(Me {
                path: split_path(&histo.full_pathname),
                me_type,
                run,
                lumi,
                efficiency: histo.flags & FLAG_EFFICIENCY != 0,
                qtests: Vec::new(),
                location,
                value,
            });
        }
        // A qtest entry is `<mepath>.<qtname>`: split at the last '.' (§6).
        for (full, mut test) in qtests {
            let attached = full.rsplit_once('.').and_then(|(me_path, qt)| {
                let me = out.mes.iter_mut().find(|m| m.path_string() == me_path)?;
                test.name = qt.to_string();
                me.qtests.push(test);
                Some(())
            });
            if attached.is_none() {
                out.warn(format!("qtest entry {full:?} has no ME"));
            }
        }
        out.sort();
        Ok(out)
    }

    /// Decodes the object of the `Histo` at `offset` (a histogram, or the TObjString of a scalar).
    pub fn decode(&self, offset: u64, len: u32) -> Result<Object> {
        let histo = self.histo(offset as usize, len as usize)?;
        let blob = unpack_blob(&histo)
            .map_err(|e| e.context(format!("{}: {:?}", self.name, histo.full_pathname)))?;
        models::decode_object_any(&blob, 0)
            .map_err(|e| e.context(format!("{}: {:?}", self.name, histo.full_pathname)))
    }
}

/// The TBufferFile bytes of a blob: raw if `len == size`, otherwise zlib of `size + 1` bytes, of which the
/// first `size` are kept.
pub fn unpack_blob(histo: &Histo) -> Result<Vec<u8>> {
    let size = histo.size as usize;
    let blob = &histo.streamed_histo;
    if blob.len() == size {
        return Ok(blob.clone());
    }
    let mut out = inflate(ZlibDecoder::new(&blob[..]), size as u64 + 1)?;
    if out.len() < size {
        return Err(Error::new(format!(
            "blob inflates to {} bytes, the message says {size}",
            out.len()
        )));
    }
    out.truncate(size);
    Ok(out)
}

fn inflate(reader: impl Read, limit: u64) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut limited = reader.take(limit.min(MAX_INFLATED) + 1);
    limited
        .read_to_end(&mut out)
        .map_err(|e| Error::new(format!("inflate failed: {e}")))?;
    if out.len() as u64 > limit.min(MAX_INFLATED) {
        return Err(Error::new(format!("inflated data exceeds {limit} bytes")));
    }
    Ok(out)
}

fn scalar_text(histo: &Histo) -> Result<String> {
    match models::decode_object_any(&unpack_blob(histo)?, 0)? {
        Object::ObjString(s) => Ok(s.string),
        other => Err(Error::new(format!(
            "a scalar entry holds a {}",
            other.class_name()
        ))),
    }
}
