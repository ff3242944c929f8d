//! `POST /api/v1/register`: validate every item, import every file eagerly, then store (dqmgui-api.md §6.8).

use std::path::{Component, Path, PathBuf};

use dqm_formats::{DqmFile, Format};
use kv_api::KvStore;
use rootfile::FileSource;
use serde_json::Value;

use crate::melist::MeList;
use crate::schema::{self, SampleRecord};
use crate::slots;

/// At most this many items per request (each may import a file).
pub const MAX_ITEMS: usize = 10_000;

/// Where registered files live: the logical mount (`/data`) and the directory that backs it here.
#[derive(Clone, Debug)]
pub struct DataRoot {
    pub mount: String,
    pub dir: PathBuf,
}

impl DataRoot {
    /// Inside a component the mount is the directory itself.
    pub fn mounted(mount: &str) -> DataRoot {
        DataRoot { mount: mount.to_owned(), dir: PathBuf::from(mount) }
    }

    /// The local path of a registered `file`, if it lies under the mount without escaping it.
    pub fn resolve(&self, file: &str) -> Result<PathBuf, String> {
        let outside = || format!("File must be a path under {}", self.mount);
        if file.contains("://") {
            return Err("Remote files (root://) are not supported, use a path under the data mount".into());
        }
        let rest = file.strip_prefix(self.mount.trim_end_matches('/')).and_then(|r| r.strip_prefix('/')).ok_or_else(outside)?;
        let rest = Path::new(rest);
        if rest.as_os_str().is_empty() || !rest.components().all(|c| matches!(c, Component::Normal(_))) {
            return Err(outside());
        }
        Ok(self.dir.join(rest))
    }
}

/// One validated item of the request.
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    pub dataset: String,
    pub run: u32,
    pub lumi: u32,
    pub file: String,
    pub format: Format,
}

/// Why a request was refused; the texts are the wire messages.
pub const BAD_JSON: &str = "Please provide correctly formatted JSON";
pub const MISSING_FIELDS: &str = "Please provide all required fields";
pub const BAD_FORMAT: &str = "Please provide a valid file format";
pub const BAD_DATASET: &str = "Please provide a valid dataset name";

/// Parses and validates the body; the first failing item decides the message.
pub fn parse(body: &[u8]) -> Result<Vec<Item>, String> {
    let value: Value = serde_json::from_slice(body).map_err(|_| BAD_JSON.to_owned())?;
    let items = value.as_array().ok_or(BAD_JSON)?;
    if items.len() > MAX_ITEMS {
        return Err(format!("At most {MAX_ITEMS} samples can be registered at once"));
    }
    items.iter().map(parse_item).collect()
}

fn parse_item(item: &Value) -> Result<Item, String> {
    let object = item.as_object().ok_or(BAD_JSON)?;
    let field = |name: &str| object.get(name).ok_or(BAD_JSON);
    let fields = [field("dataset")?, field("run")?, field("lumi")?, field("file")?, field("fileformat")?];
    if fields.iter().any(|v| v.is_null()) {
        return Err(MISSING_FIELDS.into());
    }
    let [dataset, run, lumi, file, fileformat] = fields;
    let (run, lumi) = (number(run).ok_or(BAD_JSON)?, number(lumi).ok_or(BAD_JSON)?);
    let format = match fileformat.as_u64() {
        Some(1) => Format::Legacy,
        Some(2) => Format::Dqmio,
        Some(3) => Format::Protobuf,
        _ => return Err(BAD_FORMAT.into()),
    };
    let dataset = dataset.as_str().filter(|d| valid_dataset(d)).ok_or(BAD_DATASET)?;
    let file = file.as_str().ok_or(BAD_JSON)?;
    Ok(Item { dataset: dataset.to_owned(), run, lumi, file: file.to_owned(), format })
}

/// A JSON integer or a decimal string that fits a u32.
fn number(value: &Value) -> Option<u32> {
    match value {
        Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// `/A/B/C` with three non-empty components.
pub fn valid_dataset(dataset: &str) -> bool {
    let mut parts = dataset.split('/');
    parts.next() == Some("") && parts.clone().count() == 3 && parts.all(|p| !p.is_empty())
}

/// The samples one item yields, with their ME lists.
pub struct Imported {
    pub item: Item,
    pub samples: Vec<(u32, u32, MeList)>,
}

/// Opens and lists the item's file: legacy and PB give one sample, DQMIO every (run, lumi) it holds.
pub fn import(root: &DataRoot, item: &Item) -> Result<Imported, String> {
    let path = root.resolve(&item.file)?;
    let fail = |e: rootfile::Error| format!("Could not import sample: {e}");
    let file = DqmFile::open(FileSource::open(&path).map_err(fail)?, item.file.clone()).map_err(fail)?;
    if file.format() != item.format {
        return Err(format!("Could not import sample: {} is a {} file, not {}", item.file, file.format().name(), item.format.name()));
    }
    let samples = match &file {
        DqmFile::Dqmio(dqmio) => dqmio
            .samples()
            .into_iter()
            .map(|(run, lumi)| {
                let mut mes = dqmio.list(run, lumi).map_err(fail)?.mes;
                dqmio.locate(&mut mes);
                Ok((run, lumi, MeList::from_mes(&mes)))
            })
            .collect::<Result<_, String>>()?,
        _ => vec![(item.run, item.lumi, MeList::from_mes(&file.list(item.run, item.lumi).map_err(fail)?.mes))],
    };
    Ok(Imported { item: item.clone(), samples })
}

/// Validates, then (holding one of `import_limit` import slots) imports all items (nothing is stored if any
/// fails) and stores every sample.
pub fn register(store: &dyn KvStore, root: &DataRoot, body: &[u8], now: u64, import_limit: usize) -> Result<usize, RegisterError> {
    let items = parse(body).map_err(RegisterError::Invalid)?;
    let mut unique: Vec<&Item> = Vec::new();
    for item in &items {
        // A DQMIO file registers all its samples, so one item per (dataset, file) is enough.
        let same = |u: &&Item| item.format == Format::Dqmio && u.format == Format::Dqmio && u.file == item.file && u.dataset == item.dataset;
        if !unique.iter().any(same) {
            unique.push(item);
        }
    }
    for item in &unique {
        root.resolve(&item.file).map_err(RegisterError::Invalid)?;
    }
    let lease = slots::acquire(store, import_limit, now, slots::nonce()).map_err(RegisterError::Store)?;
    let lease = lease.ok_or(RegisterError::Overloaded)?;
    let stored = import_and_store(store, root, &unique, now);
    let released = slots::release(store, lease).map_err(RegisterError::Store);
    let count = stored?;
    released?;
    Ok(count)
}

fn import_and_store(store: &dyn KvStore, root: &DataRoot, unique: &[&Item], now: u64) -> Result<usize, RegisterError> {
    let imported = unique.iter().map(|item| import(root, item)).collect::<Result<Vec<_>, _>>().map_err(RegisterError::Invalid)?;
    schema::ensure_schema(store).map_err(RegisterError::Store)?;
    let mut count = 0;
    for Imported { item, samples } in imported {
        for (run, lumi, list) in samples {
            let melist = schema::put_melist(store, &list.encode()).map_err(RegisterError::Store)?;
            let record = SampleRecord {
                dataset: item.dataset.clone(),
                run,
                lumi,
                file: item.file.clone(),
                fileformat: item.format as u8,
                registered: now,
                melist,
                me_count: list.len(),
            };
            schema::put_record(store, &record).map_err(RegisterError::Store)?;
            count += 1;
        }
    }
    Ok(count)
}

#[derive(Debug)]
pub enum RegisterError {
    /// 400 with this message.
    Invalid(String),
    /// Every import slot is taken: 429.
    Overloaded,
    Store(kv_api::KvError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_messages() {
        let item = |extra: &str| format!(r#"[{{"dataset": "/a/b/c", "run": "1", "lumi": 0, "file": "/data/x", {extra}}}]"#);
        assert_eq!(parse(b"not json").unwrap_err(), BAD_JSON);
        assert_eq!(parse(b"{}").unwrap_err(), BAD_JSON);
        assert_eq!(parse(item(r#""fileformat": 7"#).as_bytes()).unwrap_err(), BAD_FORMAT);
        assert_eq!(parse(item(r#""fileformat": "1""#).as_bytes()).unwrap_err(), BAD_FORMAT);
        assert_eq!(parse(item(r#""fileformat": null"#).as_bytes()).unwrap_err(), MISSING_FIELDS);
        assert_eq!(parse(item(r#""other": 1"#).as_bytes()).unwrap_err(), BAD_JSON);
        let bad_run = r#"[{"dataset": "/a/b/c", "run": "x", "lumi": 0, "file": "/data/x", "fileformat": 1}]"#;
        assert_eq!(parse(bad_run.as_bytes()).unwrap_err(), BAD_JSON);
        let bad_ds = r#"[{"dataset": "/a/b", "run": 1, "lumi": 0, "file": "/data/x", "fileformat": 1}]"#;
        assert_eq!(parse(bad_ds.as_bytes()).unwrap_err(), BAD_DATASET);
        let ok = parse(item(r#""fileformat": 2"#).as_bytes()).unwrap();
        assert_eq!(ok[0], Item { dataset: "/a/b/c".into(), run: 1, lumi: 0, file: "/data/x".into(), format: Format::Dqmio });
    }

    #[test]
    fn files_stay_under_the_mount() {
        let root = DataRoot { mount: "/data".into(), dir: PathBuf::from("/srv/dqm") };
        assert_eq!(root.resolve("/data/a/b.root").unwrap(), PathBuf::from("/srv/dqm/a/b.root"));
        for bad in ["/x", "/data", "/data/", "/database/x", "/data/../etc/passwd", "/data/a/../../x", "root://eos/x", "data/x", "/data/./x"] {
            assert!(root.resolve(bad).is_err(), "{bad}");
        }
    }
}
