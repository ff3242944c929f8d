//! TBranch / TBranchElement / TBranchObject and their leaves, read from the TTree record.

use rootfile::buffer::{ClassHeader, PointerTag, Reader};
use rootfile::error::{Error, Result};

/// Bound on sub-branch nesting, against hostile self-similar records.
const MAX_BRANCH_DEPTH: usize = 16;

/// Which branch class streamed the branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BranchKind {
    Plain,
    /// `TBranchElement`: `class_name` and `class_version` of the streamed object (e.g. `TH1F`, 3).
    Element {
        class_name: String,
        class_version: i32,
        streamer_type: i32,
        element_type: i32,
    },
    /// `TBranchObject`: entries carry a class-name prefix before the object.
    Object {
        class_name: String,
    },
}

/// The leaf of a branch: its class (`TLeafI`, `TLeafL`, `TLeafD`, `TLeafElement`, …) and signedness.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leaf {
    pub class: String,
    pub name: String,
    pub unsigned: bool,
}

impl Leaf {
    /// Bytes per entry for fixed-size numeric leaves; `None` for variable-size ones.
    pub fn fixed_size(&self) -> Option<usize> {
        match self.class.as_str() {
            "TLeafB" | "TLeafO" => Some(1),
            "TLeafS" => Some(2),
            "TLeafI" | "TLeafF" => Some(4),
            "TLeafL" | "TLeafD" => Some(8),
            _ => None,
        }
    }
}

/// One branch's metadata: where its baskets are and which entries each holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Branch {
    pub name: String,
    pub kind: BranchKind,
    /// Non-zero when baskets store per-entry offsets.
    pub entry_offset_len: i32,
    /// Number of baskets written to their own keys.
    pub write_basket: usize,
    pub entries: u64,
    /// Per basket: file offset of its key, first entry, size on disk (first `write_basket` used).
    pub basket_seek: Vec<u64>,
    pub basket_entry: Vec<u64>,
    pub basket_bytes: Vec<u32>,
    pub leaves: Vec<Leaf>,
    pub branches: Vec<Branch>,
}

impl Branch {
    /// Reads one element of a TObjArray of branches: pointer tag, then the branch streamer.
    pub(crate) fn read_pointer(r: &mut Reader, depth: usize) -> Result<Option<Branch>> {
        match r.pointer_tag()? {
            PointerTag::Null => Ok(None),
            PointerTag::Reference(_) => {
                Err(r.error("branch list refers back to an earlier object"))
            }
            PointerTag::Object { class, end, .. } => {
                let branch = Self::read_class(r, &class, depth)?;
                if let Some(end) = end {
                    r.set_pos(end)?;
                }
                Ok(Some(branch))
            }
        }
    }

    fn read_class(r: &mut Reader, class: &str, depth: usize) -> Result<Branch> {
        if depth >= MAX_BRANCH_DEPTH {
            return Err(r.error("branches nested too deeply"));
        }
        let header = r.class_header()?;
        let mut branch = match class {
            "TBranch" => return Self::read_tbranch(r, header, depth),
            "TBranchElement" => Self::read_tbranch_base(r, depth)?,
            "TBranchObject" => Self::read_tbranch_base(r, depth)?,
            other => return Err(r.error(format!("unsupported branch class {other}"))),
        };
        branch.kind = if class == "TBranchObject" {
            BranchKind::Object {
                class_name: r.tstring()?,
            }
        } else {
            let class_name = r.tstring()?;
            r.tstring()?; // fParentName
            r.tstring()?; // fClonesName
            r.u32()?; // fCheckSum
            let class_version = if header.version >= 10 {
                r.i16()? as i32
            } else {
                r.i32()?
            };
            r.i32()?; // fID
            let element_type = r.i32()?;
            let streamer_type = r.i32()?;
            BranchKind::Element {
                class_name,
                class_version,
                streamer_type,
                element_type,
            }
        };
        // fMaximum, fBranchCount, fBranchCount2 and newer members are not needed.
        r.skip_to_end(&header, class)?;
        Ok(branch)
    }

    fn read_tbranch(r: &mut Reader, header: ClassHeader, depth: usize) -> Result<Branch> {
        let branch = Self::read_tbranch_body(r, header, depth)?;
        r.skip_to_end(&header, "TBranch")?;
        Ok(branch)
    }

    /// The TBranch base class of TBranchElement/TBranchObject (its own header first).
    fn read_tbranch_base(r: &mut Reader, depth: usize) -> Result<Branch> {
        let header = r.class_header()?;
        Self::read_tbranch(r, header, depth)
    }

    fn read_tbranch_body(r: &mut Reader, header: ClassHeader, depth: usize) -> Result<Branch> {
        if !(12..=13).contains(&header.version) {
            return Err(r.error(format!(
                "unsupported class version: TBranch v{}",
                header.version
            )));
        }
        let name = read_tnamed(r)?;
        skip_class(r, "TAttFill")?;
        r.i32()?; // fCompress
        r.i32()?; // fBasketSize
        let entry_offset_len = r.i32()?;
        let write_basket = r.i32()?;
        r.i64()?; // fEntryNumber
        if header.version >= 13 {
            skip_class(r, "TIOFeatures")?;
        }
        r.i32()?; // fOffset
        let max_baskets = r.i32()?;
        r.i32()?; // fSplitLevel
        let entries = r.i64()?;
        r.i64()?; // fFirstEntry
        r.i64()?; // fTotBytes
        r.i64()?; // fZipBytes
        let branches = read_branch_array(r, depth + 1)?;
        let leaves = read_leaf_array(r)?;
        skip_class(r, "TObjArray fBaskets")?;
        let max_baskets = usize::try_from(max_baskets)
            .map_err(|_| r.error(format!("negative fMaxBaskets {max_baskets}")))?;
        let write_basket = usize::try_from(write_basket)
            .ok()
            .filter(|w| *w <= max_baskets)
            .ok_or_else(|| {
                r.error(format!(
                    "fWriteBasket {write_basket} outside [0, {max_baskets}]"
                ))
            })?;
        let basket_bytes = counted_array(r, max_baskets, 4, |r| r.i32().map(|v| v.max(0) as u32))?;
        let basket_entry = counted_array(r, max_baskets, 8, read_non_negative)?;
        let basket_seek = counted_array(r, max_baskets, 8, read_non_negative)?;
        let entries =
            u64::try_from(entries).map_err(|_| r.error(format!("negative fEntries {entries}")))?;
        Ok(Branch {
            name,
            kind: BranchKind::Plain,
            entry_offset_len,
            write_basket,
            entries,
            basket_seek,
            basket_entry,
            basket_bytes,
            leaves,
            branches,
        })
    }

    /// The basket holding `entry` and the entry's index within it.
    pub fn basket_of(&self, entry: u64) -> Result<(usize, u64)> {
        if entry >= self.entries {
            return Err(Error::new(format!(
                "branch {}: entry {entry} of {}",
                self.name, self.entries
            )));
        }
        if entry >= self.flushed_entries() {
            return Err(Error::new(format!(
                "branch {}: entry {entry} is in an unsupported unflushed basket",
                self.name
            )));
        }
        let firsts = &self.basket_entry[..self.write_basket];
        // First entries are non-decreasing: take the last basket starting at or before `entry`.
        match firsts.partition_point(|first| *first <= entry) {
            0 => Err(Error::new(format!(
                "branch {}: no basket starts before entry {entry}",
                self.name
            ))),
            idx => Ok((idx - 1, entry - firsts[idx - 1])),
        }
    }

    /// Entries stored in baskets that have their own keys (the rest would be in the TTree record).
    pub fn flushed_entries(&self) -> u64 {
        if self.write_basket == 0
            || self.basket_entry.len() < self.write_basket
            || self.basket_seek.len() < self.write_basket
        {
            return 0;
        }
        // fBasketEntry[fWriteBasket] is the first entry of the basket still being filled.
        self.basket_entry
            .get(self.write_basket)
            .copied()
            .unwrap_or(self.entries)
            .min(self.entries)
    }

    /// The entries `[first, end)` that basket `idx` holds.
    pub fn basket_range(&self, idx: usize) -> (u64, u64) {
        let first = self.basket_entry.get(idx).copied().unwrap_or(0);
        let end = if idx + 1 < self.write_basket {
            self.basket_entry[idx + 1]
        } else {
            self.flushed_entries()
        };
        (first, end.max(first))
    }
}

fn read_non_negative(r: &mut Reader) -> Result<u64> {
    let v = r.i64()?;
    u64::try_from(v).map_err(|_| r.error(format!("negative basket value {v}")))
}

/// A `Type* fX //[n]` member: a u8 presence flag, then `n` values.
fn counted_array<T>(
    r: &mut Reader,
    n: usize,
    size: usize,
    read: impl Fn(&mut Reader) -> Result<T>,
) -> Result<Vec<T>> {
    if r.u8()? == 0 {
        return Ok(Vec::new());
    }
    if n.saturating_mul(size) > r.remaining() {
        return Err(r.error(format!("{n} basket values do not fit")));
    }
    (0..n).map(|_| read(r)).collect()
}

/// TNamed: header, TObject, fName, fTitle → the name.
pub(crate) fn read_tnamed(r: &mut Reader) -> Result<String> {
    let header = r.class_header()?;
    r.tobject()?;
    let name = r.tstring()?;
    r.tstring()?;
    r.skip_to_end(&header, "TNamed")?;
    Ok(name)
}

/// Skips a class-headed member or base by its byte count.
pub(crate) fn skip_class(r: &mut Reader, what: &str) -> Result<()> {
    let header = r.class_header()?;
    r.skip_to_end(&header, what)
}

/// TObjArray header: class header, TObject, fName, nobjects, fLowerBound; returns (header, count).
fn read_objarray_head(r: &mut Reader) -> Result<(ClassHeader, usize)> {
    let header = r.class_header()?;
    r.tobject()?;
    r.tstring()?;
    let n = r.count(4, "TObjArray")?;
    r.i32()?; // fLowerBound
    Ok((header, n))
}

fn read_branch_array(r: &mut Reader, depth: usize) -> Result<Vec<Branch>> {
    let (header, n) = read_objarray_head(r)?;
    let mut out = Vec::new();
    for _ in 0..n {
        out.extend(Branch::read_pointer(r, depth)?);
    }
    r.skip_to_end(&header, "TObjArray fBranches")?;
    Ok(out)
}

fn read_leaf_array(r: &mut Reader) -> Result<Vec<Leaf>> {
    let (header, n) = read_objarray_head(r)?;
    let mut out = Vec::new();
    for _ in 0..n {
        match r.pointer_tag()? {
            PointerTag::Object { class, end, .. } => {
                let leaf_header = r.class_header()?;
                // TLeaf base: header, TNamed, fLen, fLenType, fOffset, fIsRange, fIsUnsigned, fLeafCount.
                let base = r.class_header()?;
                let name = read_tnamed(r)?;
                r.i32()?;
                r.i32()?;
                r.i32()?;
                r.bool()?;
                let unsigned = r.bool()?;
                r.skip_to_end(&base, "TLeaf")?;
                r.skip_to_end(&leaf_header, &class)?;
                if let Some(end) = end {
                    r.set_pos(end)?;
                }
                out.push(Leaf {
                    class,
                    name,
                    unsigned,
                });
            }
            PointerTag::Null | PointerTag::Reference(_) => {}
        }
    }
    r.skip_to_end(&header, "TObjArray fLeaves")?;
    Ok(out)
}
