//! The `nectarcam` subcommands of scraper-host, behind one function so the host only wires it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use kv_api::KvStore;

use crate::ingest::{find_tarball, ingest_path, resolve_key, IngestError};
use crate::keys::camera_name;
use crate::layout::WriteOutcome;

pub const USAGE: &str = "usage: nectarcam ingest --camera <NectarCAMQM|NectarCAM2..9> --run <run>... [--force] [--path <DIRAC base dir | results FITS/tarball>]
  Exit codes: 0 done (runs already stored or without a tarball are skipped with a warning),
  1 a run's input was unreadable (others were still ingested), 2 usage, 3 storage is read-only,
  4 storage failure or unreachable.";

struct IngestArgs {
    camera: String,
    runs: Vec<String>,
    force: bool,
    path: PathBuf,
}

fn parse(args: &[String]) -> Result<IngestArgs, IngestError> {
    let usage = |m: &str| IngestError::Usage(m.to_owned());
    let mut parsed = IngestArgs {
        camera: String::new(),
        runs: Vec::new(),
        force: false,
        path: PathBuf::from("."),
    };
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--camera" => {
                parsed.camera = args
                    .get(i + 1)
                    .ok_or_else(|| usage("--camera needs a value"))?
                    .clone()
            }
            "--path" => {
                parsed.path = PathBuf::from(
                    args.get(i + 1)
                        .ok_or_else(|| usage("--path needs a value"))?,
                )
            }
            "--force" => {
                parsed.force = true;
                i += 1;
                continue;
            }
            "--run" => {
                let values: Vec<String> = args[i + 1..]
                    .iter()
                    .take_while(|a| !a.starts_with("--"))
                    .cloned()
                    .collect();
                if values.is_empty() {
                    return Err(usage("--run needs at least one run number"));
                }
                i += 1 + values.len();
                parsed.runs.extend(values);
                continue;
            }
            other => return Err(usage(&format!("unknown argument {other:?}"))),
        }
        i += 2;
    }
    if parsed.camera.is_empty() || parsed.runs.is_empty() {
        return Err(usage("--camera and --run are required"));
    }
    if camera_name(&parsed.camera).is_none() {
        return Err(usage(&format!(
            "unknown camera {:?} (NectarCAMQM, NectarCAM2 … NectarCAM9)",
            parsed.camera
        )));
    }
    if let Some(bad) = parsed.runs.iter().find(|r| {
        r.is_empty() || !r.bytes().all(|b| b.is_ascii_digit()) || r.parse::<u64>().is_err()
    }) {
        return Err(usage(&format!("run {bad:?} is not a run number")));
    }
    if parsed.path.is_file() && parsed.runs.len() != 1 {
        return Err(usage("a file --path holds exactly one run"));
    }
    Ok(parsed)
}

/// Runs `nectarcam <args>` against `store` (the label the host opened, read-only on a secondary);
/// progress goes to `log`. Returns the process exit code.
pub fn run(args: &[String], store: &dyn KvStore, log: &mut dyn Write) -> i32 {
    let result = match args.first().map(String::as_str) {
        Some("ingest") => parse(&args[1..]).and_then(|parsed| ingest(&parsed, store, log)),
        _ => Err(IngestError::Usage("unknown subcommand".into())),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            let level = if matches!(err, IngestError::Usage(_)) {
                ""
            } else {
                "critical: "
            };
            let _ = writeln!(log, "nectarcam: {level}{err}");
            if matches!(err, IngestError::Usage(_)) {
                let _ = writeln!(log, "{USAGE}");
            }
            err.exit_code()
        }
    }
}

/// Storage errors stop at once; bad input for one run is logged and the others go on.
fn ingest(args: &IngestArgs, store: &dyn KvStore, log: &mut dyn Write) -> Result<i32, IngestError> {
    let mut code = 0;
    for run_text in &args.runs {
        let run: u64 = run_text
            .parse()
            .map_err(|_| IngestError::Usage(format!("bad run {run_text:?}")))?;
        let (path, tar_text) = if args.path.is_file() {
            (args.path.clone(), None)
        } else {
            match find_tarball(&args.path, &args.camera, run) {
                Some((text, path)) => (path, Some(text)),
                None => {
                    let _ = writeln!(
                        log,
                        "nectarcam: warning: no {}_DQM_Run{run_text}.tar.gz below {}: skipped",
                        args.camera,
                        args.path.display()
                    );
                    continue;
                }
            }
        };
        let key = resolve_key(store, &args.camera, run, tar_text.as_deref())?;
        let started = Instant::now();
        match ingest_path(store, &key, &path, args.force) {
            Ok(report) => {
                for warning in &report.warnings {
                    let _ = writeln!(log, "nectarcam: warning: {}: {warning}", report.key);
                }
                let what = match report.outcome {
                    WriteOutcome::Skipped => {
                        "warning: already stored, skipped (use --force to replace)".to_owned()
                    }
                    WriteOutcome::Stored { replaced } => format!(
                        "{} {} parents from {}",
                        if replaced { "replaced with" } else { "stored" },
                        report.parents,
                        display(&path)
                    ),
                };
                let _ = writeln!(
                    log,
                    "nectarcam: {}: {what} in {:.1} ms",
                    report.key,
                    started.elapsed().as_secs_f64() * 1e3
                );
            }
            Err(IngestError::BadInput(message)) => {
                let _ = writeln!(
                    log,
                    "nectarcam: error: {}: {message}; nothing stored",
                    key.key()
                );
                code = 1;
            }
            Err(other) => return Err(other),
        }
    }
    Ok(code)
}

fn display(path: &Path) -> String {
    path.display().to_string()
}
