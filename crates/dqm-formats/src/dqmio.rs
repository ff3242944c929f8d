//! Format 2: DQMIO files, an `Indices` tree of per-(run, lumi, type) entry ranges over one tree per type (§5).

use crate::listing::Listing;
use crate::me::{split_path, Location, Me, Scalar, ValueEncoding};
use crate::types::{DqmioVariant, MeType};
use root_tree::{values, BranchKind, EntryCursor, EntrySpan, SpanEntry, Tree};
use rootfile::buffer::BYTE_COUNT_MASK;
use rootfile::container::{KeyHeader, RootFile};
use rootfile::error::{Error, Result};
use rootfile::models::{self, Object};
use rootfile::source::ByteSource;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// `Type` of an `Indices` row whose block holds no MEs.
pub const NO_MES_TYPE: u32 = 1000;

/// One row of the `Indices` tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexRow {
    pub run: u32,
    pub lumi: u32,
    pub process_history_index: u32,
    pub begin_time: u64,
    pub end_time: u64,
    pub type_index: u32,
    /// Inclusive entry range in the type's tree.
    pub first: u64,
    pub last: u64,
}

/// An open DQMIO file: its index rows and the type trees it has.
pub struct DqmioFile<S: ByteSource> {
    file: RootFile<S>,
    variant: DqmioVariant,
    rows: Vec<IndexRow>,
    tree_keys: Vec<KeyHeader>,
    trees: Mutex<HashMap<String, Arc<Tree>>>,
}

impl<S: ByteSource> DqmioFile<S> {
    /// Reads the `Indices` tree and notes which type trees exist.
    pub fn open(file: RootFile<S>) -> Result<Self> {
        let tree_keys: Vec<KeyHeader> = file
            .top()
            .latest_keys()
            .into_iter()
            .filter(|k| k.class_name == "TTree")
            .cloned()
            .collect();
        let variant = DqmioVariant::detect(tree_keys.iter().map(|k| k.name.as_str()));
        let indices = tree_keys
            .iter()
            .find(|k| k.name == "Indices")
            .ok_or_else(|| Error::new(format!("{}: no Indices tree", file.name())))?;
        let indices = Tree::read(&file, indices)?;
        let rows = read_rows(&file, &indices)
            .map_err(|e| e.context(format!("{}: Indices", file.name())))?;
        Ok(DqmioFile {
            file,
            variant,
            rows,
            tree_keys,
            trees: Mutex::new(HashMap::new()),
        })
    }

    pub fn root(&self) -> &RootFile<S> {
        &self.file
    }

    pub fn variant(&self) -> DqmioVariant {
        self.variant
    }

    pub fn rows(&self) -> &[IndexRow] {
        &self.rows
    }

    /// Adds an index row (tests use it to build bad indices; merging several files' indices is another use).
    pub fn push_row(&mut self, row: IndexRow) {
        self.rows.push(row);
    }

    /// Every `(run, lumi)` with at least one ME block, sorted.
    pub fn samples(&self) -> Vec<(u32, u32)> {
        let mut out: Vec<(u32, u32)> = self
            .rows
            .iter()
            .filter(|r| r.type_index != NO_MES_TYPE)
            .map(|r| (r.run, r.lumi))
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The metadata of tree `name`, read once.
    fn tree(&self, name: &str) -> Result<Option<Arc<Tree>>> {
        if let Some(tree) = self
            .trees
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
        {
            return Ok(Some(tree.clone()));
        }
        let Some(key) = self.tree_keys.iter().find(|k| k.name == name) else {
            return Ok(None);
        };
        let tree = Arc::new(Tree::read(&self.file, key)?);
        self.trees
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name.to_string(), tree.clone());
        Ok(Some(tree))
    }

    /// Lists the MEs of sample `(run, lumi)`: names and inline scalar values, object locations for histograms.
    pub fn list(&self, run: u32, lumi: u32) -> Result<Listing> {
        let mut out = Listing::default();
        let mut by_path: HashMap<String, usize> = HashMap::new();
        for row in self
            .rows
            .iter()
            .filter(|r| r.run == run && r.lumi == lumi && r.type_index != NO_MES_TYPE)
        {
            let Some(tree_name) = self.variant.tree_for_index(row.type_index) else {
                out.warn(format!("unknown DQMIO type {} skipped", row.type_index));
                continue;
            };
            let Some(me_type) = MeType::from_dqmio_tree(tree_name) else {
                out.warn(format!(
                    "DQMIO tree {tree_name} is not supported; its entries are skipped"
                ));
                continue;
            };
            let tree = self.tree(tree_name)?.ok_or_else(|| {
                Error::new(format!(
                    "{}: Indices refers to missing tree {tree_name}",
                    self.file.name()
                ))
            })?;
            if row.first > row.last || row.last >= tree.entries {
                return Err(Error::new(format!(
                    "{}: Indices range [{}, {}] of {tree_name} outside its {} entries",
                    self.file.name(),
                    row.first,
                    row.last,
                    tree.entries
                )));
            }
            let ctx = |e: Error| e.context(format!("{}: tree {tree_name}", self.file.name()));
            let mut names = EntryCursor::new(&self.file, tree.branch("FullName").map_err(ctx)?);
            let value_branch = tree.branch("Value").map_err(ctx)?;
            let mut value_cursor = me_type
                .is_scalar()
                .then(|| EntryCursor::new(&self.file, value_branch));
            for entry in row.first..=row.last {
                let name = values::string(names.entry(entry).map_err(ctx)?.0).map_err(ctx)?;
                let value = match value_cursor.as_mut() {
                    Some(cursor) => {
                        Some(scalar(me_type, cursor.entry(entry).map_err(ctx)?.0).map_err(ctx)?)
                    }
                    None => None,
                };
                let location = if me_type.is_scalar() {
                    Location::Inline
                } else {
                    Location::Tree {
                        tree: tree_name,
                        entry,
                    }
                };
                let me = Me {
                    path: split_path(&name),
                    me_type,
                    run,
                    lumi,
                    efficiency: false,
                    qtests: Vec::new(),
                    location,
                    value,
                };
                // A repeated FullName: the later row wins (§5.3 Decision).
                match by_path.get(&name) {
                    Some(&i) => out.mes[i] = me,
                    None => {
                        by_path.insert(name, out.mes.len());
                        out.mes.push(me);
                    }
                }
            }
        }
        out.sort();
        Ok(out)
    }

    /// Decodes the histogram at `entry` of tree `tree`.
    pub fn decode(&self, tree_name: &str, entry: u64) -> Result<Object> {
        let ctx = |e: Error| e.context(format!("{}: {tree_name} entry {entry}", self.file.name()));
        let tree = self
            .tree(tree_name)?
            .ok_or_else(|| ctx(Error::new("no such tree")))?;
        let me_type = MeType::from_dqmio_tree(tree_name).filter(|t| t.is_histogram());
        let me_type = me_type.ok_or_else(|| ctx(Error::new("not a histogram tree")))?;
        let branch = tree.branch("Value").map_err(ctx)?;
        let encoding = ValueEncoding::of(&branch.kind, me_type).map_err(ctx)?;
        let mut cursor = EntryCursor::new(&self.file, branch);
        let (bytes, offset) = cursor.entry(entry).map_err(ctx)?;
        decode_value(encoding, me_type, bytes, offset).map_err(ctx)
    }

    /// Pins the `Tree` locations of `mes` to their baskets ([`Location::Basket`]), reading each basket once, so
    /// that decoding one later needs one read and no tree metadata. An entry whose basket or branch cannot be
    /// read keeps its `Tree` location: decoding it reports the error, as before.
    pub fn locate(&self, mes: &mut [Me]) {
        let mut todo: Vec<(&'static str, u64, usize)> = mes
            .iter()
            .enumerate()
            .filter_map(|(i, me)| match me.location {
                Location::Tree { tree, entry } => Some((tree, entry, i)),
                _ => None,
            })
            .collect();
        todo.sort_unstable();
        for group in todo.chunk_by(|a, b| a.0 == b.0) {
            let tree_name = group[0].0;
            let Some(me_type) = MeType::from_dqmio_tree(tree_name).filter(|t| t.is_histogram())
            else {
                continue;
            };
            let Ok(Some(tree)) = self.tree(tree_name) else {
                continue;
            };
            let Ok(branch) = tree.branch("Value") else {
                continue;
            };
            let Ok(encoding) = ValueEncoding::of(&branch.kind, me_type) else {
                continue;
            };
            let mut cursor = EntryCursor::new(&self.file, branch);
            for &(_, entry, i) in group {
                if let Ok(span) = cursor.span(entry) {
                    mes[i].location = Location::Basket { span, encoding };
                }
            }
        }
    }
}

/// Decodes the histogram of type `me_type` stored at `span` of `source`, without opening the file.
pub fn decode_span(
    source: &impl ByteSource,
    span: &EntrySpan,
    encoding: ValueEncoding,
    me_type: MeType,
) -> Result<Object> {
    if !me_type.is_histogram() {
        return Err(Error::new(format!("a {me_type} is not stored in a basket")));
    }
    let entry = SpanEntry::read(source, span)?;
    decode_value(encoding, me_type, entry.bytes(), entry.offset())
}

impl ValueEncoding {
    /// The encoding of a `Value` branch holding `me_type` objects.
    fn of(kind: &BranchKind, me_type: MeType) -> Result<ValueEncoding> {
        match kind {
            BranchKind::Object { .. } => Ok(ValueEncoding::Prefixed),
            BranchKind::Element { class_version, .. } => Ok(ValueEncoding::Member {
                class_version: u16::try_from(*class_version)
                    .ok()
                    .filter(|v| *v > 0)
                    .unwrap_or(me_type.class_version()),
            }),
            BranchKind::Plain => Err(Error::new(format!(
                "a plain branch cannot hold a {}",
                me_type.name()
            ))),
        }
    }
}

/// Decodes one `Value` entry in any of its three encodings (§5.4).
fn decode_value(
    encoding: ValueEncoding,
    me_type: MeType,
    bytes: &[u8],
    offset: usize,
) -> Result<Object> {
    let class = me_type.name();
    let base = u32::try_from(offset).map_err(|_| Error::new("basket too large"))?;
    match encoding {
        ValueEncoding::Prefixed => {
            // A TString class name and a NUL, then the object with its own header.
            let mut r = rootfile::buffer::Reader::new(bytes, base);
            let streamed = r.tstring()?;
            if r.u8()? != 0 {
                return Err(r.error("class name prefix not NUL-terminated"));
            }
            if streamed != class {
                return Err(Error::new(format!(
                    "entry holds a {streamed}, the tree holds {class}"
                )));
            }
            let at = r.pos();
            models::decode(class, &bytes[at..], base + at as u32)
        }
        ValueEncoding::Member {
            class_version: version,
        } => {
            if has_outer_header(bytes, version) {
                return models::decode(class, bytes, base);
            }
            // Member-wise body without the outer class header: synthesise it, 6 bytes before the entry.
            let count = u32::try_from(bytes.len() + 2)
                .ok()
                .filter(|c| *c < BYTE_COUNT_MASK);
            let count = count.ok_or_else(|| Error::new("entry too large"))?;
            let mut framed = Vec::with_capacity(bytes.len() + 6);
            framed.extend_from_slice(&(count | BYTE_COUNT_MASK).to_be_bytes());
            framed.extend_from_slice(&version.to_be_bytes());
            framed.extend_from_slice(bytes);
            let framed_base = base
                .checked_sub(6)
                .ok_or_else(|| Error::new("entry starts inside the key header"))?;
            models::decode(class, &framed, framed_base)
        }
    }
}

/// Whether an entry starts with the class's own header (`count|mask`, `version`) whose count spans the entry.
fn has_outer_header(bytes: &[u8], version: u16) -> bool {
    if bytes.len() < 6 {
        return false;
    }
    let word = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    let v = u16::from_be_bytes([bytes[4], bytes[5]]);
    word & BYTE_COUNT_MASK != 0
        && (word & !BYTE_COUNT_MASK) as usize + 4 == bytes.len()
        && v == version
}

fn scalar(me_type: MeType, bytes: &[u8]) -> Result<Scalar> {
    Ok(match me_type {
        MeType::Int => Scalar::Int(values::i64(bytes)?),
        MeType::Float => Scalar::Float(values::f64(bytes)?),
        _ => Scalar::String(values::string(bytes)?),
    })
}

fn read_rows<S: ByteSource>(file: &RootFile<S>, indices: &Tree) -> Result<Vec<IndexRow>> {
    let column = |name: &str| -> Result<EntryCursor<'_, '_, S>> {
        Ok(EntryCursor::new(file, indices.branch(name)?))
    };
    let mut cursors: Vec<EntryCursor<S>> = [
        "Run",
        "Lumi",
        "ProcessHistoryIndex",
        "BeginTime",
        "EndTime",
        "Type",
        "FirstIndex",
        "LastIndex",
    ]
    .iter()
    .map(|n| column(n))
    .collect::<Result<_>>()?;
    let mut rows = Vec::new();
    for entry in 0..indices.entries {
        let mut u32_at = |i: usize| -> Result<u32> { values::u32(cursors[i].entry(entry)?.0) };
        let (run, lumi, process_history_index, type_index) =
            (u32_at(0)?, u32_at(1)?, u32_at(2)?, u32_at(5)?);
        let mut u64_at = |i: usize| -> Result<u64> { values::u64(cursors[i].entry(entry)?.0) };
        let (begin_time, end_time, first, last) = (u64_at(3)?, u64_at(4)?, u64_at(6)?, u64_at(7)?);
        rows.push(IndexRow {
            run,
            lumi,
            process_history_index,
            begin_time,
            end_time,
            type_index,
            first,
            last,
        });
    }
    Ok(rows)
}
