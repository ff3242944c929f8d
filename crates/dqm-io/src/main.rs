//! `dqm-io`: ROOT keys, single objects, DQM ME listings and `/api/v1/json` dumps, as JSON lines on stdout.

use dqm_formats::{api_json, run_from_pb_name, DqmFile, Me, Scalar};
use rootfile::{FileSource, RootFile};
use serde_json::{json, Value};
use std::io::Write;
use std::process::ExitCode;

const USAGE: &str = "usage:
  dqm-io keys FILE                                  every ROOT key, recursively
  dqm-io object FILE COMPONENT...                   one ROOT object as TBufferJSON
  dqm-io ls FILE                                    the ME list of every sample
  dqm-io dump FILE ME_PATH [--run R] [--lumi L]     one ME as /api/v1/json serves it";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut out = std::io::stdout().lock();
    match run(&args, &mut out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            let _ = out.flush();
            eprintln!("dqm-io: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String], out: &mut impl Write) -> Result<(), String> {
    let (command, rest) = args.split_first().ok_or_else(|| USAGE.to_string())?;
    let (file, rest) = rest
        .split_first()
        .ok_or_else(|| format!("{command}: missing FILE\n{USAGE}"))?;
    let lines = match command.as_str() {
        "keys" if rest.is_empty() => keys(file)?,
        "object" if !rest.is_empty() => vec![object(file, rest)?],
        "ls" if rest.is_empty() => ls(file)?,
        "dump" if !rest.is_empty() => vec![dump(file, rest)?],
        _ => return Err(USAGE.to_string()),
    };
    for line in lines {
        writeln!(out, "{line}").map_err(|e| format!("cannot write output: {e}"))?;
    }
    Ok(())
}

fn open_root(file: &str) -> Result<RootFile<FileSource>, String> {
    RootFile::open(FileSource::open(file).map_err(|e| e.to_string())?, file)
        .map_err(|e| e.to_string())
}

fn open_dqm(file: &str) -> Result<DqmFile<FileSource>, String> {
    DqmFile::open(FileSource::open(file).map_err(|e| e.to_string())?, file)
        .map_err(|e| e.to_string())
}

fn keys(file: &str) -> Result<Vec<String>, String> {
    let root = open_root(file)?;
    let listed = root.list_recursive().map_err(|e| e.to_string())?;
    Ok(listed
        .iter()
        .map(|k| {
            // ROOT reports on-disk `TDirectory` keys as `TDirectoryFile`.
            let class = if k.key.is_directory() {
                "TDirectoryFile"
            } else {
                k.key.class_name.as_str()
            };
            line(&[
                ("path", json!(k.path)),
                ("class", json!(class)),
                ("cycle", json!(k.key.cycle)),
            ])
        })
        .collect())
}

fn object(file: &str, components: &[String]) -> Result<String, String> {
    let root = open_root(file)?;
    let path: Vec<&str> = components.iter().map(String::as_str).collect();
    let key = root.find(&path).map_err(|e| e.to_string())?;
    let object = root.object(&key).map_err(|e| e.to_string())?;
    Ok(rootfile::json::to_json(&object, &[]))
}

fn scalar_json(value: &Scalar) -> Value {
    match value {
        Scalar::Int(v) => json!(v),
        Scalar::Float(v) => json!(v),
        Scalar::String(v) => json!(v),
    }
}

fn me_line(me: &Me) -> String {
    let mut fields = vec![
        ("path", json!(me.path_string())),
        ("type", json!(me.me_type.name())),
        ("run", json!(me.run)),
        ("lumi", json!(me.lumi)),
    ];
    if let Some(value) = &me.value {
        fields.push(("value", scalar_json(value)));
    }
    if me.efficiency {
        fields.push(("efficiency", json!(true)));
    }
    if !me.qtests.is_empty() {
        let qtests = me.qtests.iter().map(|q| {
            line(&[
                ("name", json!(q.name)),
                ("status", json!(q.status)),
                ("result", json!(q.result)),
                ("algorithm", json!(q.algorithm)),
                ("message", json!(q.message)),
            ])
        });
        fields.push((
            "qtests",
            Value::String(format!("[{}]", qtests.collect::<Vec<_>>().join(", "))),
        ));
    }
    line(&fields)
}

/// A JSON object with its members in the given order (serde_json's map would sort them).
/// A `qtests` member is already-serialised JSON.
fn line(fields: &[(&str, Value)]) -> String {
    let members: Vec<String> = fields
        .iter()
        .map(|(k, v)| match (*k, v) {
            ("qtests", Value::String(raw)) => format!("{}: {raw}", json!(k)),
            _ => format!("{}: {v}", json!(k)),
        })
        .collect();
    format!("{{{}}}", members.join(", "))
}

fn ls(file: &str) -> Result<Vec<String>, String> {
    let dqm = open_dqm(file)?;
    let listing = dqm
        .list_all(run_from_pb_name(file).unwrap_or(0))
        .map_err(|e| e.to_string())?;
    for warning in &listing.warnings {
        eprintln!("dqm-io: warning: {warning}");
    }
    Ok(listing.mes.iter().map(me_line).collect())
}

/// Parses `--run R` / `--lumi L` options.
fn options(rest: &[String]) -> Result<(Option<u32>, Option<u32>), String> {
    let (mut run, mut lumi) = (None, None);
    let mut it = rest.iter();
    while let Some(flag) = it.next() {
        let slot = match flag.as_str() {
            "--run" => &mut run,
            "--lumi" => &mut lumi,
            other => return Err(format!("unknown option {other:?}\n{USAGE}")),
        };
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        *slot = Some(
            value
                .parse()
                .map_err(|_| format!("{flag}: {value:?} is not a number"))?,
        );
    }
    Ok((run, lumi))
}

fn dump(file: &str, rest: &[String]) -> Result<String, String> {
    let (path, rest) = rest.split_first().expect("dump has an ME path");
    let (run, lumi) = options(rest)?;
    let dqm = open_dqm(file)?;
    let listing = dqm
        .list_all(run.or(run_from_pb_name(file)).unwrap_or(0))
        .map_err(|e| e.to_string())?;
    // Without --lumi, the run-level sample (lumi 0).
    let lumi = lumi.unwrap_or(0);
    let me = listing
        .mes
        .iter()
        .find(|m| m.path_string() == *path && run.is_none_or(|r| m.run == r) && m.lumi == lumi)
        .ok_or_else(|| format!("ME not found: {path}"))?;
    let decoded = dqm
        .decode(me)
        .map_err(|e| format!("could not decode {path}: {e}"))?;
    Ok(api_json(&decoded, me.efficiency))
}
