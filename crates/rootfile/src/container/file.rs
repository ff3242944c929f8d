//! An open ROOT file: header, top directory, directory walking and reading object payloads.

use super::record;
use super::directory::{parse_key_list, DirectoryRecord};
use super::header::{FileHeader, HEADER_READ_LEN};
use super::key::KeyHeader;
use crate::buffer::Reader;
use crate::error::{Error, Result};
use crate::source::ByteSource;
use std::collections::{HashMap, HashSet};

pub use super::record::MAX_OBJECT_LEN;
/// Bound on directory nesting (guards against directory loops in hostile files).
pub const MAX_DEPTH: usize = 64;
/// A directory record with its UUID is at most this long (big form).
const DIRECTORY_RECORD_MAX_LEN: usize = 60;

/// A directory's record and the keys of its key list (every cycle, in on-disk order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directory {
    pub record: DirectoryRecord,
    pub keys: Vec<KeyHeader>,
}

impl Directory {
    /// The key named `name` with the highest cycle.
    pub fn get(&self, name: &str) -> Option<&KeyHeader> {
        self.keys.iter().filter(|k| k.name == name).max_by_key(|k| k.cycle)
    }

    /// Whether `key` is the highest cycle of its name here.
    pub fn is_highest_cycle(&self, key: &KeyHeader) -> bool {
        !self.keys.iter().any(|k| k.name == key.name && k.cycle > key.cycle)
    }

    /// The highest cycle of every name.
    pub fn highest_cycles(&self) -> HashMap<&str, i16> {
        let mut out: HashMap<&str, i16> = HashMap::with_capacity(self.keys.len());
        for key in &self.keys {
            let cycle = out.entry(key.name.as_str()).or_insert(key.cycle);
            *cycle = (*cycle).max(key.cycle);
        }
        out
    }

    /// One key per name, the highest cycle, in key-list order.
    pub fn latest_keys(&self) -> Vec<&KeyHeader> {
        let highest = self.highest_cycles();
        self.keys.iter().filter(|k| highest.get(k.name.as_str()) == Some(&k.cycle)).collect()
    }
}

/// A key found by a recursive listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedKey {
    /// Directory names from the top, then the key's own name. Names may contain `/`.
    pub path: Vec<String>,
    pub key: KeyHeader,
    /// Whether this is the highest cycle of its name in its directory.
    pub highest_cycle: bool,
}

/// An open ROOT file over any byte source.
pub struct RootFile<S: ByteSource> {
    source: S,
    name: String,
    header: FileHeader,
    top: Directory,
}

impl<S: ByteSource> RootFile<S> {
    /// Reads the header and the top directory's key list. `name` is used in error messages.
    pub fn open(source: S, name: impl Into<String>) -> Result<Self> {
        let name = name.into();
        Self::open_inner(source, &name).map_err(|e| e.context(&name))
    }

    fn open_inner(source: S, name: &str) -> Result<Self> {
        let head_len = (HEADER_READ_LEN as u64).min(source.len()) as usize;
        let header = FileHeader::parse(&source.read_at(0, head_len)?)?;
        // ROOT writes fEND when it closes the file: a shorter file was cut or never closed.
        if source.len() < header.end {
            return Err(Error::new(format!(
                "file is truncated: {} bytes, but its header says it ends at {}",
                source.len(),
                header.end
            )));
        }
        let seek = header.top_directory_seek();
        let record = read_record(&source, seek)?;
        let keys = read_keys(&source, &record)?;
        Ok(RootFile { source, name: name.to_owned(), header, top: Directory { record, keys } })
    }

    pub fn header(&self) -> &FileHeader {
        &self.header
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn source(&self) -> &S {
        &self.source
    }

    pub fn top(&self) -> &Directory {
        &self.top
    }

    /// Opens a subdirectory from its key.
    pub fn directory(&self, key: &KeyHeader) -> Result<Directory> {
        if !key.is_directory() {
            return Err(Error::new(format!(
                "{}: key {:?} is a {}, not a directory",
                self.name, key.name, key.class_name
            )));
        }
        let at = key.seek_key + key.key_len as u64;
        let inner = || -> Result<Directory> {
            let record = read_record(&self.source, at)?;
            let keys = read_keys(&self.source, &record)?;
            Ok(Directory { record, keys })
        };
        inner().map_err(|e| e.context(format!("{}: directory {:?}", self.name, key.name)))
    }

    /// Every key of every directory, depth-first and pre-order (a directory before its contents),
    /// all cycles included. Directories are entered through their highest cycle only.
    pub fn list_recursive(&self) -> Result<Vec<ListedKey>> {
        let mut out = Vec::new();
        self.visit_keys(|dirs, key, highest_cycle| {
            let mut path = Vec::with_capacity(dirs.len() + 1);
            path.extend_from_slice(dirs);
            path.push(key.name.clone());
            out.push(ListedKey { path, key, highest_cycle });
            Ok(())
        })?;
        Ok(out)
    }

    /// Calls `visit(directory path, key, is highest cycle)` for every key in the order of
    /// [`list_recursive`](Self::list_recursive), without building paths for each key.
    pub fn visit_keys(&self, mut visit: impl FnMut(&[String], KeyHeader, bool) -> Result<()>) -> Result<()> {
        let mut path = Vec::new();
        let mut visited = HashSet::new();
        self.walk(self.top.clone(), &mut path, &mut visited, &mut visit)
    }

    fn walk(
        &self,
        dir: Directory,
        path: &mut Vec<String>,
        visited: &mut HashSet<u64>,
        visit: &mut impl FnMut(&[String], KeyHeader, bool) -> Result<()>,
    ) -> Result<()> {
        if path.len() >= MAX_DEPTH {
            return Err(Error::new(format!("{}: directories nested deeper than {MAX_DEPTH}", self.name)));
        }
        let highest: Vec<bool> = {
            let cycles = dir.highest_cycles();
            dir.keys.iter().map(|k| cycles.get(k.name.as_str()) == Some(&k.cycle)).collect()
        };
        for (key, highest_cycle) in dir.keys.into_iter().zip(highest) {
            // Open a subdirectory before handing its key over.
            let sub = if key.is_directory() && highest_cycle {
                // A directory reached twice means a loop in a corrupt or hostile file.
                if !visited.insert(key.seek_key) {
                    return Err(Error::new(format!(
                        "{}: directory {:?}/{:?} is listed twice",
                        self.name, path, key.name
                    )));
                }
                Some((self.directory(&key)?, key.name.clone()))
            } else {
                None
            };
            visit(path, key, highest_cycle)?;
            if let Some((sub, name)) = sub {
                path.push(name);
                self.walk(sub, path, visited, visit)?;
                path.pop();
            }
        }
        Ok(())
    }

    /// Finds a key by path components (highest cycle at each level).
    pub fn find(&self, path: &[&str]) -> Result<KeyHeader> {
        let (last, dirs) = path.split_last().ok_or_else(|| Error::new("empty key path"))?;
        let mut dir = self.top.clone();
        for (depth, name) in dirs.iter().enumerate() {
            let key = dir.get(name).ok_or_else(|| self.not_found(&path[..=depth]))?;
            dir = self.directory(&key.clone())?;
        }
        dir.get(last).cloned().ok_or_else(|| self.not_found(path))
    }

    fn not_found(&self, path: &[&str]) -> Error {
        Error::new(format!("{}: no key {:?}", self.name, path))
    }

    /// The record's data bytes as stored (compressed or not), without the key header.
    pub fn source_bytes(&self, key: &KeyHeader) -> Result<Vec<u8>> {
        self.source.read_at(key.seek_key + key.key_len as u64, key.data_len())
    }

    /// The uncompressed object bytes of a key (they start at buffer-frame offset `key.key_len`).
    pub fn payload(&self, key: &KeyHeader) -> Result<Vec<u8>> {
        self.payload_inner(key)
            .map_err(|e| e.context(format!("{}: key {:?} at offset {}", self.name, key.name, key.seek_key)))
    }

    fn payload_inner(&self, key: &KeyHeader) -> Result<Vec<u8>> {
        record::inflate(key, self.source_bytes(key)?)
    }

    /// Decodes the object of a key with the models layer.
    pub fn object(&self, key: &KeyHeader) -> Result<crate::models::Object> {
        let bytes = self.payload(key)?;
        crate::models::decode(&key.class_name, &bytes, key.key_len as u32)
            .map_err(|e| e.context(format!("{}: {} {:?}", self.name, key.class_name, key.name)))
    }
}

fn read_record(source: &impl ByteSource, seek: u64) -> Result<DirectoryRecord> {
    let avail = source.len().saturating_sub(seek).min(DIRECTORY_RECORD_MAX_LEN as u64) as usize;
    let bytes = source.read_at(seek, avail)?;
    DirectoryRecord::read(&mut Reader::new(&bytes, seek as u32))
}

fn read_keys(source: &impl ByteSource, record: &DirectoryRecord) -> Result<Vec<KeyHeader>> {
    if record.seek_keys == 0 {
        return Ok(Vec::new());
    }
    let bytes = source.read_at(record.seek_keys, record.nbytes_keys as usize)?;
    parse_key_list(&bytes, record.seek_keys as u32)
        .map_err(|e| e.context(format!("key list at offset {}", record.seek_keys)))
}
