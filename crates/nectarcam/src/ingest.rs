//! Ingest (§6): a results FITS file, plain or inside a DIRAC tarball, into the store in one atomic step.

use std::fmt;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;
use kv_api::{KvError, KvStore};

use crate::keys::{camera_name, RunKey};
use crate::layout::{self, WriteOutcome, MAX_DIMS};
use crate::model::RunData;

/// A results file larger than this is refused rather than read into memory.
pub const MAX_RESULTS_BYTES: u64 = 1 << 30;
const RESULTS_SUFFIX: &str = "_Results.fits";

/// Why an ingest failed; [`IngestError::exit_code`] gives the CLI's exit status.
#[derive(Debug, Clone, PartialEq)]
pub enum IngestError {
    /// Bad command line (exit 2).
    Usage(String),
    /// An unreadable tarball or FITS file; the store was not touched (exit 1).
    BadInput(String),
    /// The store is a read-only replica (exit 3).
    ReadOnly,
    /// The store failed or is unreachable (exit 4).
    Storage(String),
}

impl IngestError {
    pub fn exit_code(&self) -> i32 {
        match self {
            IngestError::BadInput(_) => 1,
            IngestError::Usage(_) => 2,
            IngestError::ReadOnly => 3,
            IngestError::Storage(_) => 4,
        }
    }
}

impl fmt::Display for IngestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IngestError::Usage(m) => write!(f, "usage: {m}"),
            IngestError::BadInput(m) => f.write_str(m),
            IngestError::ReadOnly => f.write_str("storage is read-only"),
            IngestError::Storage(m) => write!(f, "storage failure: {m}"),
        }
    }
}

impl std::error::Error for IngestError {}

impl From<KvError> for IngestError {
    fn from(err: KvError) -> Self {
        match err {
            KvError::ReadOnly => IngestError::ReadOnly,
            other => IngestError::Storage(other.to_string()),
        }
    }
}

/// Builds the §3 map from the bytes of a results FITS file.
pub fn results_from_fits(bytes: &[u8]) -> Result<RunData, IngestError> {
    let hdus = fits::read(bytes)
        .map_err(|e| IngestError::BadInput(format!("unreadable FITS file: {e}")))?;
    let run = RunData::from_hdus(hdus);
    for parent in &run.parents {
        if let Some(child) = parent
            .children
            .iter()
            .find(|c| c.array.shape.len() > MAX_DIMS)
        {
            return Err(IngestError::BadInput(format!(
                "{}/{}: more than {MAX_DIMS} dimensions",
                parent.name, child.name
            )));
        }
    }
    Ok(run)
}

/// Finds `…/NectarCAM_Run<run>_calib/NectarCAM_Run<run>_Results.fits` in a gzip'ed tarball and reads it.
pub fn results_from_tarball(reader: impl Read) -> Result<RunData, IngestError> {
    let bad = |e: std::io::Error| IngestError::BadInput(format!("unreadable tarball: {e}"));
    let mut archive = tar::Archive::new(GzDecoder::new(reader));
    for entry in archive.entries().map_err(bad)? {
        let entry = entry.map_err(bad)?;
        let path = entry.path().map_err(bad)?.to_string_lossy().into_owned();
        if !entry.header().entry_type().is_file() || !path.ends_with(RESULTS_SUFFIX) {
            continue;
        }
        let size = entry.header().size().map_err(bad)?;
        if size > MAX_RESULTS_BYTES {
            return Err(IngestError::BadInput(format!(
                "{path}: {size} bytes is more than the {MAX_RESULTS_BYTES} accepted"
            )));
        }
        // The header's size is a claim: reserve a bounded amount and let the read prove the rest.
        let mut bytes = Vec::with_capacity(size.min(64 << 20) as usize);
        entry.take(size).read_to_end(&mut bytes).map_err(bad)?;
        if bytes.len() as u64 != size {
            return Err(IngestError::BadInput(format!(
                "{path}: truncated inside the tarball"
            )));
        }
        return results_from_fits(&bytes)
            .map_err(|e| IngestError::BadInput(format!("{path}: {e}")));
    }
    Err(IngestError::BadInput(format!(
        "the tarball holds no *{RESULTS_SUFFIX} file"
    )))
}

/// Reads a tarball (recognised by its gzip magic) or a plain FITS file.
pub fn load_results(path: &Path) -> Result<RunData, IngestError> {
    let open = |e: std::io::Error| IngestError::BadInput(format!("{}: {e}", path.display()));
    let mut file = BufReader::new(File::open(path).map_err(open)?);
    let mut magic = [0u8; 2];
    let is_gzip = file.read_exact(&mut magic).is_ok() && magic == [0x1f, 0x8b];
    let mut file = BufReader::new(File::open(path).map_err(open)?);
    if is_gzip {
        return results_from_tarball(file);
    }
    let mut bytes = Vec::new();
    (&mut file)
        .take(MAX_RESULTS_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(open)?;
    if bytes.len() as u64 > MAX_RESULTS_BYTES {
        return Err(IngestError::BadInput(format!(
            "{}: larger than {MAX_RESULTS_BYTES} bytes",
            path.display()
        )));
    }
    results_from_fits(&bytes)
}

/// What one run's ingest did, for the per-run log line.
#[derive(Debug, Clone, PartialEq)]
pub struct IngestReport {
    pub key: String,
    pub outcome: WriteOutcome,
    pub parents: usize,
    pub warnings: Vec<String>,
}

/// Ingests one run from `path`. Without `force` an existing run is left untouched (the input is not
/// even read); bad input leaves the store unchanged.
pub fn ingest_path(
    store: &dyn KvStore,
    key: &RunKey,
    path: &Path,
    force: bool,
) -> Result<IngestReport, IngestError> {
    let key = key.key();
    if !force && layout::read_meta(store, &key)?.is_some() {
        layout::ensure_indexed(store, &key)?;
        return Ok(IngestReport {
            key,
            outcome: WriteOutcome::Skipped,
            parents: 0,
            warnings: Vec::new(),
        });
    }
    let run = load_results(path)?;
    let outcome = layout::write_run(store, &key, &run, force)?;
    Ok(IngestReport {
        key,
        outcome,
        parents: run.parents.len(),
        warnings: run.warnings,
    })
}

/// The DIRAC tarball of a run below `base` (`<base>/<camera>/` or `<base>/`), matched by run number, so
/// `--run 999` finds `…_DQM_Run0999.tar.gz`. Returns the run text as written and the path.
pub fn find_tarball(base: &Path, camera: &str, run: u64) -> Option<(String, PathBuf)> {
    let camera = camera_name(camera)?;
    let prefix = format!("{camera}_DQM_Run");
    [base.join(&camera), base.to_path_buf()]
        .into_iter()
        .find_map(|dir| {
            std::fs::read_dir(dir).ok()?.flatten().find_map(|entry| {
                let name = entry.file_name().into_string().ok()?;
                let text = name.strip_prefix(&prefix)?.strip_suffix(".tar.gz")?;
                (text.bytes().all(|b| b.is_ascii_digit()) && text.parse::<u64>().ok()? == run)
                    .then(|| (text.to_owned(), entry.path()))
            })
        })
}

/// The key a `--run` number should use: an already stored run with that number keeps its spelling;
/// otherwise `fallback` (the tarball's text, or the number zero-padded to 4 digits as DIRAC does).
pub fn resolve_key(
    store: &dyn KvStore,
    camera: &str,
    run: u64,
    fallback: Option<&str>,
) -> Result<RunKey, IngestError> {
    let usage = || {
        IngestError::Usage(format!(
            "unknown camera {camera:?} (NectarCAMQM, NectarCAM2 … NectarCAM9)"
        ))
    };
    let name = camera_name(camera).ok_or_else(usage)?;
    let stored = layout::list_runs(store)?
        .into_iter()
        .filter_map(|k| RunKey::parse(&k))
        .find(|k| format!("NectarCAM{}", k.camera) == name && k.run == run);
    match stored {
        Some(key) => Ok(key),
        None => {
            let text = fallback.map_or_else(|| format!("{run:04}"), str::to_owned);
            RunKey::new(&name, &text).ok_or_else(usage)
        }
    }
}
