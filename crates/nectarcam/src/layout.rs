//! The one place that knows how runs are laid out in the key-value store.
//!
//! - `nectarcam/index`: JSON list of every stored run key, sorted (the viewer never scans the store);
//! - `nectarcam/run/<key>`: pointer to the run's current generation (decimal);
//! - `nectarcam/gen/<g>/meta`: JSON `{key, parents: [{name, children: [{name, dtype, shape}]}]}`;
//! - `nectarcam/gen/<g>/<slot>`: one array each, numbered in meta order, encoded by [`encode_array`];
//! - `nectarcam/generation`: the counter that hands out fresh generations.
//!
//! A run is written under a fresh generation and published by one compare-and-swap of its pointer, so a
//! reader that follows the pointer sees the old run or the new one, never a mixture.

use fits::{Array, Dtype, Values};
use kv_api::{update_with_retry, CasOutcome, KvError, KvResult, KvStore};
use serde::{Deserialize, Serialize};

use crate::model::RunData;

pub const INDEX_KEY: &str = "nectarcam/index";
pub const GENERATION_KEY: &str = "nectarcam/generation";
const ARRAY_MAGIC: &[u8; 4] = b"NCA1";
const CAS_ATTEMPTS: usize = 16;
/// numpy's limit; deeper arrays are refused (the encoding keeps ndim in one byte).
pub const MAX_DIMS: usize = 32;

fn pointer_key(run_key: &str) -> String {
    format!("nectarcam/run/{run_key}")
}

fn meta_key(generation: u64) -> String {
    format!("nectarcam/gen/{generation}/meta")
}

fn array_key(generation: u64, slot: usize) -> String {
    format!("nectarcam/gen/{generation}/{slot}")
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChildMeta {
    pub name: String,
    pub dtype: String,
    pub shape: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParentMeta {
    pub name: String,
    pub children: Vec<ChildMeta>,
}

/// What a run holds, without the values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunMeta {
    pub key: String,
    #[serde(skip)]
    pub generation: u64,
    pub parents: Vec<ParentMeta>,
}

impl RunMeta {
    pub fn parent(&self, name: &str) -> Option<&ParentMeta> {
        self.parents.iter().find(|p| p.name == name)
    }

    /// The child's metadata and its storage slot.
    pub fn child(&self, parent: &str, child: &str) -> Option<(&ChildMeta, usize)> {
        let mut slot = 0;
        for p in &self.parents {
            for c in &p.children {
                if p.name == parent && c.name == child {
                    return Some((c, slot));
                }
                slot += 1;
            }
        }
        None
    }

    fn slots(&self) -> usize {
        self.parents.iter().map(|p| p.children.len()).sum()
    }
}

fn corrupt(what: &str) -> KvError {
    KvError::Other(format!("corrupt NectarCAM entry: {what}"))
}

/// `NCA1`, dtype (0 float64, 1 int64, 2 bool), ndim, ndim × u64 dims, then the values little-endian.
pub fn encode_array(array: &Array) -> Vec<u8> {
    let width = if array.dtype() == Dtype::Bool { 1 } else { 8 };
    let mut out = Vec::with_capacity(6 + 8 * array.shape.len() + width * array.values.len());
    out.extend_from_slice(ARRAY_MAGIC);
    out.push(match array.dtype() {
        Dtype::Float64 => 0,
        Dtype::Int64 => 1,
        Dtype::Bool => 2,
    });
    out.push(array.shape.len() as u8);
    for &d in &array.shape {
        out.extend_from_slice(&(d as u64).to_le_bytes());
    }
    match &array.values {
        Values::Float64(v) => v
            .iter()
            .for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
        Values::Int64(v) => v
            .iter()
            .for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
        Values::Bool(v) => out.extend(v.iter().map(|&b| u8::from(b))),
    }
    out
}

pub fn decode_array(bytes: &[u8]) -> KvResult<Array> {
    let head = bytes
        .get(..6)
        .filter(|h| &h[..4] == ARRAY_MAGIC)
        .ok_or_else(|| corrupt("array header"))?;
    let (dtype, ndim) = (head[4], head[5] as usize);
    let dims_end = 6 + 8 * ndim;
    let dims = bytes
        .get(6..dims_end)
        .ok_or_else(|| corrupt("array shape"))?;
    let shape: Vec<usize> = dims
        .chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().unwrap_or([0; 8])) as usize)
        .collect();
    let body = &bytes[dims_end..];
    let width = if dtype == 2 { 1 } else { 8 };
    let count = shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
    if count.and_then(|c| c.checked_mul(width)) != Some(body.len()) {
        return Err(corrupt("array size"));
    }
    let words = || body.chunks_exact(8).map(|c| c.try_into().unwrap_or([0; 8]));
    let values = match dtype {
        0 => Values::Float64(words().map(f64::from_le_bytes).collect()),
        1 => Values::Int64(words().map(i64::from_le_bytes).collect()),
        2 => Values::Bool(body.iter().map(|&b| b != 0).collect()),
        _ => return Err(corrupt("array dtype")),
    };
    Ok(Array { shape, values })
}

/// What [`write_run`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteOutcome {
    Stored {
        replaced: bool,
    },
    /// The run exists and `force` was not set: nothing changed.
    Skipped,
}

/// Stores a run atomically; an existing run is replaced only with `force`.
pub fn write_run(
    store: &dyn KvStore,
    key: &str,
    run: &RunData,
    force: bool,
) -> KvResult<WriteOutcome> {
    if run
        .parents
        .iter()
        .flat_map(|p| &p.children)
        .any(|c| c.array.shape.len() > MAX_DIMS)
    {
        return Err(KvError::Other(format!(
            "{key}: an array has more than {MAX_DIMS} dimensions"
        )));
    }
    let pointer = pointer_key(key);
    let old = store.get(&pointer)?;
    if old.is_some() && !force {
        ensure_indexed(store, key)?;
        return Ok(WriteOutcome::Skipped);
    }
    let generation = u64::try_from(store.increment(GENERATION_KEY, 1)?)
        .map_err(|_| corrupt("generation counter"))?;
    let meta = RunMeta {
        key: key.to_owned(),
        generation,
        parents: run
            .parents
            .iter()
            .map(|p| ParentMeta {
                name: p.name.clone(),
                children: p
                    .children
                    .iter()
                    .map(|c| ChildMeta {
                        name: c.name.clone(),
                        dtype: c.array.dtype().name().to_owned(),
                        shape: c.array.shape.clone(),
                    })
                    .collect(),
            })
            .collect(),
    };
    let written = write_generation(store, &meta, run);
    let published = written.and_then(|()| {
        store.compare_and_swap(&pointer, old.as_deref(), generation.to_string().as_bytes())
    });
    match published {
        Ok(CasOutcome::Swapped) => {}
        Ok(CasOutcome::Conflict) => {
            delete_generation(store, &meta);
            return if force {
                Err(KvError::Other(format!(
                    "{key} was written concurrently; retry"
                )))
            } else {
                Ok(WriteOutcome::Skipped)
            };
        }
        Err(e) => {
            delete_generation(store, &meta);
            return Err(e);
        }
    }
    if let Some(previous) = old.as_deref().and_then(parse_generation) {
        if let Ok(Some(previous_meta)) = read_generation_meta(store, previous) {
            delete_generation(store, &previous_meta);
        }
    }
    ensure_indexed(store, key)?;
    Ok(WriteOutcome::Stored {
        replaced: old.is_some(),
    })
}

fn write_generation(store: &dyn KvStore, meta: &RunMeta, run: &RunData) -> KvResult<()> {
    let arrays = run
        .parents
        .iter()
        .flat_map(|p| &p.children)
        .map(|c| &c.array);
    let mut entries: Vec<(String, Vec<u8>)> =
        arrays.enumerate().map(|(slot, array)| (array_key(meta.generation, slot), encode_array(array))).collect();
    let json = serde_json::to_vec(meta).map_err(|e| KvError::Other(e.to_string()))?;
    entries.push((meta_key(meta.generation), json));
    // One batch (one SQLite transaction); readers only see it once the pointer flips.
    let borrowed: Vec<(&str, &[u8])> = entries.iter().map(|(k, v)| (k.as_str(), v.as_slice())).collect();
    store.set_many(&borrowed)
}

/// Best effort: a generation nobody points to is garbage, so failures here lose nothing.
fn delete_generation(store: &dyn KvStore, meta: &RunMeta) {
    for slot in 0..meta.slots() {
        let _ = store.delete(&array_key(meta.generation, slot));
    }
    let _ = store.delete(&meta_key(meta.generation));
}

fn parse_generation(bytes: &[u8]) -> Option<u64> {
    std::str::from_utf8(bytes).ok()?.parse().ok()
}

fn read_generation_meta(store: &dyn KvStore, generation: u64) -> KvResult<Option<RunMeta>> {
    let Some(bytes) = store.get(&meta_key(generation))? else {
        return Ok(None);
    };
    let mut meta: RunMeta = serde_json::from_slice(&bytes).map_err(|_| corrupt("run metadata"))?;
    meta.generation = generation;
    Ok(Some(meta))
}

/// The run's current metadata, or `None` when it is not stored.
pub fn read_meta(store: &dyn KvStore, key: &str) -> KvResult<Option<RunMeta>> {
    let Some(pointer) = store.get(&pointer_key(key))? else {
        return Ok(None);
    };
    let generation = parse_generation(&pointer).ok_or_else(|| corrupt("run pointer"))?;
    read_generation_meta(store, generation)
}

/// One child of the run's current generation. Retries once if a `--force` ingest replaced the run
/// between reading the metadata and the array.
pub fn read_child(
    store: &dyn KvStore,
    key: &str,
    parent: &str,
    child: &str,
) -> KvResult<Option<(ChildMeta, Array)>> {
    for _ in 0..2 {
        let Some(meta) = read_meta(store, key)? else {
            return Ok(None);
        };
        let Some((child_meta, slot)) = meta.child(parent, child) else {
            return Ok(None);
        };
        if let Some(bytes) = store.get(&array_key(meta.generation, slot))? {
            return Ok(Some((child_meta.clone(), decode_array(&bytes)?)));
        }
    }
    Err(KvError::Other(format!(
        "{key} kept changing while it was read"
    )))
}

/// The whole run (for checks and exports; the viewer reads single children).
pub fn read_run(store: &dyn KvStore, key: &str) -> KvResult<Option<RunData>> {
    let Some(meta) = read_meta(store, key)? else {
        return Ok(None);
    };
    let mut run = RunData::default();
    let mut slot = 0;
    for p in &meta.parents {
        let mut children = Vec::new();
        for c in &p.children {
            let bytes = store
                .get(&array_key(meta.generation, slot))?
                .ok_or_else(|| corrupt("missing array"))?;
            children.push(crate::model::Child {
                name: c.name.clone(),
                array: decode_array(&bytes)?,
            });
            slot += 1;
        }
        run.parents.push(crate::model::Parent {
            name: p.name.clone(),
            children,
        });
    }
    Ok(Some(run))
}

/// Every stored run key (any format; the viewer filters by [`crate::keys::RunKey`]).
pub fn list_runs(store: &dyn KvStore) -> KvResult<Vec<String>> {
    match store.get(INDEX_KEY)? {
        None => Ok(Vec::new()),
        Some(bytes) => serde_json::from_slice(&bytes).map_err(|_| corrupt("run index")),
    }
}

/// Adds a run key to the index unless it is there (no write then).
pub fn ensure_indexed(store: &dyn KvStore, key: &str) -> KvResult<()> {
    let mut bad_index = false;
    update_with_retry(store, INDEX_KEY, CAS_ATTEMPTS, |current| {
        let mut keys: Vec<String> = match current.map(serde_json::from_slice) {
            None => Vec::new(),
            Some(Ok(keys)) => keys,
            Some(Err(_)) => {
                bad_index = true;
                return None;
            }
        };
        let at = keys.binary_search_by(|k| k.as_str().cmp(key)).err()?;
        keys.insert(at, key.to_owned());
        serde_json::to_vec(&keys).ok()
    })?;
    if bad_index {
        return Err(corrupt("run index"));
    }
    Ok(())
}
