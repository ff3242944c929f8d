//! Snapshots of the embedded SQLite store by SQLite's online backup API: the primary's file copied in one
//! read transaction (so the copy is consistent), its metadata recorded inside the copy, and the copy
//! installed into a secondary's live file in one write transaction (its readers see the old data or the
//! new). `backup_archive` packs the snapshots as `dqm-store-<UTC timestamp>.tar.gz`; `restore_archive`
//! installs them again, which also re-initialises a secondary.
//!
//! Archive layout (the first path component is stripped on restore, as the original's `tar --strip 1`):
//! ```text
//! dqm-store-20261201T193000Z/manifest.json   {"format":"dqm-spin-store-archive","version":1,"taken_at":…,"files":[…]}
//! dqm-store-20261201T193000Z/0-sqlite_key_value.db
//! ```

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::{Component, Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use kv_api::KvResult;
use rusqlite::backup::{Backup, StepResult};
use rusqlite::{params, Connection};
use serde::{Deserialize, Serialize};

use crate::manager::{Opened, StoreManager};
use crate::other;

/// The key, in every label of a snapshot, holding its [`SnapshotMeta`] as JSON.
pub const SNAPSHOT_META_KEY: &str = "dqm-spin/snapshot";
const SNAPSHOT_FORMAT: &str = "dqm-spin-snapshot";
const ARCHIVE_FORMAT: &str = "dqm-spin-store-archive";
const ARCHIVE_VERSION: u32 = 1;
const MANIFEST: &str = "manifest.json";
/// A manifest larger than this is not ours.
const MAX_MANIFEST_BYTES: u64 = 1 << 20;
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// What a snapshot records about itself (read back by a secondary's health endpoint).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapshotMeta {
    pub format: String,
    /// `YYYY-MM-DDTHH:MM:SSZ`, also the snapshot's id.
    pub taken_at: String,
    /// The same instant in Unix seconds (whole seconds, so the JSON round trip is exact).
    pub taken_at_unix: u64,
    /// The primary's file the snapshot was taken from.
    pub source: String,
    /// Entries in the snapshot, every label together (the metadata rows not counted).
    pub entries: u64,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    format: String,
    version: u32,
    taken_at: String,
    files: Vec<ManifestFile>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestFile {
    /// The file's name inside the archive's top directory.
    file: String,
    /// The labels it backs on the node that wrote the archive.
    labels: Vec<String>,
}

fn open(path: &Path) -> KvResult<Connection> {
    let conn = Connection::open(path).map_err(|e| other(format!("opening {}: {e}", path.display())))?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(other)?;
    Ok(conn)
}

/// Copies every page of `from` into `to` in one step: one read transaction on `from`, one write
/// transaction on `to`.
fn copy_all(from: &Connection, to: &mut Connection) -> KvResult<()> {
    let backup = Backup::new(from, to).map_err(other)?;
    match backup.step(-1).map_err(other)? {
        StepResult::Done => Ok(()),
        // A busy or locked database: one step either copies everything or nothing.
        busy => Err(other(format!("SQLite backup did not complete ({busy:?}); retry"))),
    }
}

/// Takes a consistent snapshot of the SQLite file `source` into the new file `dest` and records its
/// metadata under [`SNAPSHOT_META_KEY`] in every label it holds (and in `default`).
pub fn snapshot_file(source: &Path, dest: &Path, taken_at: SystemTime) -> KvResult<SnapshotMeta> {
    if !source.is_file() {
        return Err(other(format!("no SQLite store at {}", source.display())));
    }
    let _ = std::fs::remove_file(dest);
    let from = open(source)?;
    let mut to = open(dest)?;
    copy_all(&from, &mut to)?;
    drop(from);
    let tx = to.transaction().map_err(other)?;
    let entries: i64 = tx
        .query_row("SELECT count(*) FROM spin_key_value WHERE key <> ?1", [SNAPSHOT_META_KEY], |r| r.get(0))
        .map_err(|e| other(format!("{} is not a key-value store: {e}", source.display())))?;
    let entries = u64::try_from(entries).unwrap_or(0);
    let unix = taken_at.duration_since(UNIX_EPOCH).unwrap_or_default();
    let meta = SnapshotMeta {
        format: SNAPSHOT_FORMAT.into(),
        taken_at: utc_text(unix.as_secs(), "-", ":", "T"),
        taken_at_unix: unix.as_secs(),
        source: source.display().to_string(),
        entries,
    };
    let json = serde_json::to_vec(&meta).map_err(other)?;
    let mut labels: Vec<String> = {
        let mut stmt = tx.prepare("SELECT DISTINCT store FROM spin_key_value").map_err(other)?;
        let rows = stmt.query_map([], |r| r.get(0)).map_err(other)?;
        rows.collect::<Result<_, _>>().map_err(other)?
    };
    if !labels.iter().any(|l| l == "default") {
        labels.push("default".into());
    }
    for label in &labels {
        tx.execute(
            "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3)
             ON CONFLICT(store, key) DO UPDATE SET value = excluded.value",
            params![label, SNAPSHOT_META_KEY, json],
        )
        .map_err(other)?;
    }
    tx.commit().map_err(other)?;
    Ok(meta)
}

/// Replaces the contents of the live database `live` (created if missing) with the snapshot file, in one
/// write transaction, so the secondary's open connections switch from the old data to the new at once.
pub fn install_snapshot(snapshot: &Path, live: &Path) -> KvResult<()> {
    if let Some(dir) = live.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| other(format!("creating {}: {e}", dir.display())))?;
    }
    let from = open(snapshot)?;
    from.query_row("SELECT count(*) FROM spin_key_value", [], |r| r.get::<_, i64>(0))
        .map_err(|e| other(format!("{} is not a key-value snapshot: {e}", snapshot.display())))?;
    let mut to = open(live)?;
    copy_all(&from, &mut to)?;
    // The gateway and scraper-host share the file in WAL mode; the copy keeps the snapshot's mode.
    let _: String = to.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0)).map_err(other)?;
    Ok(())
}

/// Reads the snapshot metadata a store holds, if any.
pub fn read_snapshot_meta(value: &[u8]) -> Option<SnapshotMeta> {
    serde_json::from_slice::<SnapshotMeta>(value).ok().filter(|m| m.format == SNAPSHOT_FORMAT)
}

impl StoreManager {
    /// Every SQLite file this manager serves with the labels it backs. A label on Redis or in memory has
    /// no file to snapshot: an error names it.
    fn sqlite_files(&self) -> KvResult<Vec<(PathBuf, Vec<String>)>> {
        let mut files: BTreeMap<PathBuf, Vec<String>> = BTreeMap::new();
        for (label, opened) in self.opened() {
            match opened {
                Opened::Sqlite(store) => match store.db().path() {
                    Some(path) => files.entry(path.to_path_buf()).or_default().push(label.to_owned()),
                    None => return Err(other(format!("store {label:?} is in memory: nothing to snapshot"))),
                },
                Opened::Redis(_) => {
                    return Err(other(format!(
                        "store {label:?} is on Redis: replicate it with a Redis replica (replicaof) and back it up with BGSAVE"
                    )))
                }
            }
        }
        Ok(files.into_iter().collect())
    }

    /// The SQLite file behind `label`.
    fn sqlite_file_of(&self, label: &str) -> KvResult<PathBuf> {
        self.sqlite_files()?
            .into_iter()
            .find(|(_, labels)| labels.iter().any(|l| l == label))
            .map(|(path, _)| path)
            .ok_or_else(|| other(format!("no SQLite file backs store {label:?}")))
    }

    /// Replication on the embedded store: a snapshot of the file behind `label`, installed into the
    /// secondary's live file `dest`.
    pub fn snapshot_to(&self, label: &str, dest: &Path) -> KvResult<SnapshotMeta> {
        let source = self.sqlite_file_of(label)?;
        if dest.canonicalize().ok() == source.canonicalize().ok() {
            return Err(other(format!("{} is the primary's own file, not a secondary's", dest.display())));
        }
        let temp = TempDir::beside(dest)?;
        let snapshot = temp.path.join("snapshot.db");
        let meta = snapshot_file(&source, &snapshot, SystemTime::now())?;
        install_snapshot(&snapshot, dest)?;
        Ok(meta)
    }

    /// Writes one consistent archive of every SQLite file, `<out_dir>/dqm-store-<UTC timestamp>.tar.gz`,
    /// and returns its path. The archive appears complete or not at all (written aside, then renamed).
    pub fn backup_archive(&self, out_dir: &Path, now: SystemTime) -> KvResult<PathBuf> {
        let files = self.sqlite_files()?;
        std::fs::create_dir_all(out_dir).map_err(|e| other(format!("creating {}: {e}", out_dir.display())))?;
        let unix = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
        let name = format!("dqm-store-{}", utc_text(unix, "", "", "T"));
        let temp = TempDir::beside(&out_dir.join(&name))?;
        let mut manifest = Manifest {
            format: ARCHIVE_FORMAT.into(),
            version: ARCHIVE_VERSION,
            taken_at: utc_text(unix, "-", ":", "T"),
            files: Vec::new(),
        };
        for (index, (path, labels)) in files.iter().enumerate() {
            let base = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let file = format!("{index}-{base}");
            snapshot_file(path, &temp.path.join(&file), now)?;
            manifest.files.push(ManifestFile { file, labels: labels.clone() });
        }
        let archive = out_dir.join(format!("{name}.tar.gz"));
        let partial = temp.path.join("archive.tar.gz");
        let io = |e: std::io::Error| other(format!("writing {}: {e}", archive.display()));
        {
            let gz = GzEncoder::new(File::create(&partial).map_err(io)?, flate2::Compression::default());
            let mut tar = tar::Builder::new(gz);
            let json = serde_json::to_vec_pretty(&manifest).map_err(other)?;
            let mut header = tar::Header::new_gnu();
            header.set_size(json.len() as u64);
            header.set_mode(0o644);
            header.set_mtime(unix);
            header.set_cksum();
            tar.append_data(&mut header, format!("{name}/{MANIFEST}"), &json[..]).map_err(io)?;
            for entry in &manifest.files {
                tar.append_path_with_name(temp.path.join(&entry.file), format!("{name}/{}", entry.file)).map_err(io)?;
            }
            tar.into_inner().map_err(io)?.finish().map_err(io)?.sync_all().map_err(io)?;
        }
        std::fs::rename(&partial, &archive).map_err(io)?;
        Ok(archive)
    }

    /// Replaces the data of every store the archive holds with the archive's snapshots. Everything is
    /// unpacked and checked first; a bad archive changes nothing. Allowed on a read-only node: this is how
    /// a secondary is (re-)initialised. Returns the labels restored.
    pub fn restore_archive(&self, archive: &Path) -> KvResult<Vec<String>> {
        let files = self.sqlite_files()?;
        let first = files.first().map(|(p, _)| p.clone()).ok_or_else(|| other("no SQLite store to restore into"))?;
        let temp = TempDir::beside(&first)?;
        let manifest = unpack(archive, &temp.path)?;
        let mut plan = Vec::new();
        for entry in &manifest.files {
            let targets: Vec<&PathBuf> = entry
                .labels
                .iter()
                .map(|label| files.iter().find(|(_, ls)| ls.contains(label)).map(|(p, _)| p))
                .collect::<Option<_>>()
                .ok_or_else(|| other(format!("the archive's labels {:?} are not all configured here", entry.labels)))?;
            let target = targets.first().copied().ok_or_else(|| other(format!("{}: no labels", entry.file)))?;
            if targets.iter().any(|t| *t != target) {
                return Err(other(format!("the archive's labels {:?} live in one file here in several", entry.labels)));
            }
            let snapshot = temp.path.join(&entry.file);
            let conn = open(&snapshot)?;
            conn.query_row("SELECT count(*) FROM spin_key_value", [], |r| r.get::<_, i64>(0))
                .map_err(|e| other(format!("{} in the archive is not a key-value store: {e}", entry.file)))?;
            plan.push((snapshot, target.clone(), entry.labels.clone()));
        }
        let mut restored = Vec::new();
        for (snapshot, target, labels) in plan {
            install_snapshot(&snapshot, &target)?;
            restored.extend(labels);
        }
        Ok(restored)
    }
}

/// Unpacks `<top>/manifest.json` and the files it names into `dir`, stripping the top directory and
/// refusing anything else (absolute paths, `..`, links, unnamed files).
fn unpack(archive: &Path, dir: &Path) -> KvResult<Manifest> {
    let bad = |what: String| other(format!("{}: {what}", archive.display()));
    let file = File::open(archive).map_err(|e| bad(e.to_string()))?;
    let mut tar = tar::Archive::new(GzDecoder::new(file));
    let mut manifest: Option<Manifest> = None;
    let mut unpacked = Vec::new();
    for entry in tar.entries().map_err(|e| bad(e.to_string()))? {
        let mut entry = entry.map_err(|e| bad(e.to_string()))?;
        let path = entry.path().map_err(|e| bad(e.to_string()))?.into_owned();
        if entry.header().entry_type().is_dir() {
            continue;
        }
        let parts: Vec<&str> = path
            .components()
            .map(|c| match c {
                Component::Normal(p) => p.to_str(),
                _ => None,
            })
            .collect::<Option<_>>()
            .ok_or_else(|| bad(format!("unsafe path {}", path.display())))?;
        let [_, name] = parts.as_slice() else {
            return Err(bad(format!("unexpected entry {}", path.display())));
        };
        if !entry.header().entry_type().is_file() {
            return Err(bad(format!("{name} is not a regular file")));
        }
        if *name == MANIFEST {
            let mut text = Vec::new();
            (&mut entry).take(MAX_MANIFEST_BYTES).read_to_end(&mut text).map_err(|e| bad(e.to_string()))?;
            let parsed: Manifest = serde_json::from_slice(&text).map_err(|e| bad(format!("manifest: {e}")))?;
            if parsed.format != ARCHIVE_FORMAT || parsed.version != ARCHIVE_VERSION {
                return Err(bad(format!("unsupported archive {} v{}", parsed.format, parsed.version)));
            }
            manifest = Some(parsed);
        } else {
            let mut out = File::create(dir.join(name)).map_err(|e| bad(e.to_string()))?;
            std::io::copy(&mut entry, &mut out).map_err(|e| bad(format!("{name}: {e}")))?;
            unpacked.push(name.to_string());
        }
    }
    let manifest = manifest.ok_or_else(|| bad(format!("no {MANIFEST}: not a dqm-store archive")))?;
    if let Some(missing) = manifest.files.iter().find(|f| !unpacked.contains(&f.file)) {
        return Err(bad(format!("{} is listed but missing", missing.file)));
    }
    Ok(manifest)
}

/// A scratch directory beside `target` (same filesystem, so a rename is atomic), removed on drop.
struct TempDir {
    path: PathBuf,
}

impl TempDir {
    fn beside(target: &Path) -> KvResult<TempDir> {
        let parent = target.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent).map_err(|e| other(format!("creating {}: {e}", parent.display())))?;
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().subsec_nanos();
        let path = parent.join(format!(".dqm-store-tmp-{}-{nanos}", std::process::id()));
        std::fs::create_dir(&path).map_err(|e| other(format!("creating {}: {e}", path.display())))?;
        Ok(TempDir { path })
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// A Unix time as UTC `YYYY<d>MM<d>DD<sep>HH<t>MM<t>SSZ` (civil-from-days, proleptic Gregorian).
fn utc_text(unix: u64, date_sep: &str, time_sep: &str, sep: &str) -> String {
    let (days, secs) = ((unix / 86_400) as i64, unix % 86_400);
    let (year, month, day) = civil_date::civil_from_days(days);
    format!(
        "{year:04}{date_sep}{month:02}{date_sep}{day:02}{sep}{:02}{time_sep}{:02}{time_sep}{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::utc_text;

    #[test]
    fn utc_text_formats_known_instants() {
        assert_eq!(utc_text(0, "-", ":", "T"), "1970-01-01T00:00:00Z");
        assert_eq!(utc_text(1_609_459_200, "-", ":", "T"), "2021-01-01T00:00:00Z");
        assert_eq!(utc_text(1_709_251_199, "", "", "T"), "20240229T235959Z");
    }
}
