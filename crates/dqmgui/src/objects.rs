//! Finding one ME of a sample and decoding it from its file, for `json`, `json_overlay` and renderers.

use dqm_formats::{Decoded, DqmFile};
use kv_api::{KvError, KvStore};
use rootfile::models::{ObjString, Object};
use rootfile::FileSource;

use crate::melist::MeList;
use crate::register::DataRoot;
use crate::schema::{self, SampleId, SampleRecord};

/// Why an ME could not be served (not found is `Ok(None)` instead).
#[derive(Debug)]
pub enum LoadError {
    Store(KvError),
    /// The file or object could not be read.
    Decode(String),
}

impl From<KvError> for LoadError {
    fn from(e: KvError) -> Self {
        LoadError::Store(e)
    }
}

/// A registered sample: its record and ME list.
pub type Sample = (SampleRecord, MeList);

/// The sample's record and ME list; `None` when it is not registered.
pub fn sample(store: &dyn KvStore, id: &SampleId) -> Result<Option<Sample>, LoadError> {
    Ok(sample_with(store, id, &[])?.0)
}

/// The values of keys read beside a sample, in key order.
pub type Extra = Vec<Option<Vec<u8>>>;

/// Like [`sample`], also reading the `extra` keys in the same round trip as the record.
pub fn sample_with(store: &dyn KvStore, id: &SampleId, extra: &[&str]) -> Result<(Option<Sample>, Extra), LoadError> {
    let record_key = id.record_key();
    let keys: Vec<&str> = std::iter::once(record_key.as_str()).chain(extra.iter().copied()).collect();
    let mut values = store.get_many(&keys)?;
    let mut record = schema::parse_record(values.remove(0).as_deref())?;
    // A re-register may delete the blob between our two reads: read the (flipped) record once more.
    for _ in 0..2 {
        let Some(current) = record else { return Ok((None, values)) };
        if let Some(blob) = store.get(&current.melist)? {
            let list = MeList::decode_owned(blob).map_err(LoadError::Decode)?;
            return Ok((Some((current, list)), values));
        }
        record = schema::get_record(store, id)?;
    }
    Err(LoadError::Decode(format!("the ME list of {id:?} vanished twice while reading it")))
}

/// A decoded ME and its efficiency flag.
pub struct Loaded {
    pub decoded: Decoded,
    pub efficiency: bool,
}

/// Loads ME `path` of sample `id`; `Ok(None)` when the sample or the ME does not exist.
pub fn load(store: &dyn KvStore, root: &DataRoot, id: &SampleId, path: &str) -> Result<Option<Loaded>, LoadError> {
    let Some((record, list)) = sample(store, id)? else { return Ok(None) };
    let Some(i) = list.find(path) else { return Ok(None) };
    let me = list.me(i, record.run, record.lumi).map_err(LoadError::Decode)?;
    let efficiency = me.efficiency;
    if let Some(value) = me.value.clone() {
        return Ok(Some(Loaded { decoded: Decoded::Scalar(value), efficiency }));
    }
    let fail = |e: rootfile::Error| LoadError::Decode(e.to_string());
    let local = root.resolve(&record.file).map_err(LoadError::Decode)?;
    let source = FileSource::open(&local).map_err(fail)?;
    // Legacy keys and DQMIO basket spans are read directly; only PB and older DQMIO lists open the file.
    let decoded = match dqm_formats::decode_direct(&source, &record.file, &me) {
        Some(decoded) => decoded,
        None => DqmFile::open(source, record.file.clone()).and_then(|file| file.decode(&me)),
    };
    Ok(Some(Loaded { decoded: decoded.map_err(fail)?, efficiency }))
}

/// The object as served inside `json_overlay` (scalars as a `TObjString`, no `dqmProperties`).
pub fn overlay_member_json(decoded: &Decoded) -> String {
    match decoded {
        Decoded::Object(object) => rootfile::json::to_json(object, &[]),
        Decoded::Scalar(value) => {
            let string = ObjString { object: Default::default(), string: dqm_formats::scalar_text(value) };
            rootfile::json::to_json(&Object::ObjString(string), &[])
        }
    }
}
