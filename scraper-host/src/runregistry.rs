//! `scraper-host rr load DIR`: POSTs every `*.json` file of a directory to the Run Registry's authenticated
//! bulk endpoint (`/rr/api/ingest`, admin token), one batch (one Version) per file, in file-name order.
//! Going through the endpoint (not the store) keeps validation, auth and the audit trail in one place.

use std::path::{Path, PathBuf};
use std::time::Duration;

use http_client::{Client, ClientConfig, Request};
use serde_json::{json, Value};

use crate::args::{failed, usage, Failure};

/// Largest file loaded; the endpoint's own body limit (`runregistry::api::MAX_BODY`) is the same.
const MAX_FILE: u64 = 64 << 20;

#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    pub dir: PathBuf,
    /// The gateway's base URL; the endpoint is `<url>/rr/api/ingest`.
    pub url: String,
    pub token: Option<String>,
    pub comment: Option<String>,
}

impl Options {
    pub fn parse(words: &[String], env: impl Fn(&str) -> Option<String>) -> Result<Options, Failure> {
        let (action, rest) = words.split_first().ok_or_else(|| usage("rr needs an action: load"))?;
        if action != "load" {
            return Err(usage(format!("unknown rr action {action:?}")));
        }
        let mut options = Options {
            dir: PathBuf::new(),
            url: "http://127.0.0.1:3000".into(),
            token: env("RR_ADMIN_TOKEN").filter(|t| !t.is_empty()),
            comment: None,
        };
        let mut dir = None;
        let mut words = rest.iter();
        while let Some(word) = words.next() {
            let mut value = |name: &str| words.next().cloned().ok_or_else(|| usage(format!("{name} needs a value")));
            match word.as_str() {
                "--url" => options.url = value("--url")?.trim_end_matches('/').to_owned(),
                "--token" => options.token = Some(value("--token")?),
                "--comment" => options.comment = Some(value("--comment")?),
                flag if flag.starts_with("--") => return Err(usage(format!("unknown option {flag}"))),
                _ if dir.is_some() => return Err(usage("rr load takes one directory")),
                _ => dir = Some(PathBuf::from(word)),
            }
        }
        options.dir = dir.ok_or_else(|| usage("rr load needs a directory"))?;
        Ok(options)
    }
}

pub fn run(words: &[String]) -> Result<(), Failure> {
    let options = Options::parse(words, |name| std::env::var(name).ok())?;
    let token = options.token.as_deref().ok_or_else(|| usage("rr load needs --token or $RR_ADMIN_TOKEN"))?;
    let files = json_files(&options.dir)?;
    if files.is_empty() {
        return Err(failed(format!("no *.json files in {}", options.dir.display())));
    }
    // Ingest is idempotent (only differences become events), so retrying a 5xx is safe.
    let client = Client::new(ClientConfig { retries: 2, timeout: Duration::from_secs(300), ..ClientConfig::default() }).map_err(failed)?;
    let endpoint = format!("{}/rr/api/ingest", options.url);
    for file in &files {
        let batch = read_batch(file)?;
        let mut request = Request::new("POST", &endpoint).header("authorization", &format!("Bearer {token}")).json_body(&batch);
        if let Some(comment) = &options.comment {
            request = request.header("comment", comment);
        }
        let refused = |why: String| failed(format!("{}: {why}; later files were not loaded", file.display()));
        let answer = client.exchange(&request).map_err(|e| refused(e.to_string()))?;
        if !answer.is_success() {
            return Err(refused(answer.describe()));
        }
        eprintln!("{}: {}", file.display(), describe(&answer.body));
    }
    Ok(())
}

/// The directory's `*.json` files, sorted by name.
fn json_files(dir: &Path) -> Result<Vec<PathBuf>, Failure> {
    let entries = std::fs::read_dir(dir).map_err(|e| failed(format!("reading {}: {e}", dir.display())))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.is_file() && path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    Ok(files)
}

/// A file holds `{"runs": [...]}`, a list of runs, or one run; the endpoint gets `{"runs": [...]}`.
fn read_batch(file: &Path) -> Result<Value, Failure> {
    let size = std::fs::metadata(file).map_err(|e| failed(format!("{}: {e}", file.display())))?.len();
    if size > MAX_FILE {
        return Err(failed(format!("{}: {size} bytes is more than the endpoint accepts ({MAX_FILE})", file.display())));
    }
    let text = std::fs::read(file).map_err(|e| failed(format!("reading {}: {e}", file.display())))?;
    let value: Value = serde_json::from_slice(&text).map_err(|e| failed(format!("{}: not JSON: {e}", file.display())))?;
    batch_of(value).ok_or_else(|| failed(format!("{}: expected {{\"runs\": [...]}}, a list of runs or one run", file.display())))
}

fn batch_of(value: Value) -> Option<Value> {
    match value {
        Value::Object(map) if map.get("runs").is_some_and(Value::is_array) => Some(Value::Object(map)),
        Value::Object(map) if map.contains_key("run_number") => Some(json!({ "runs": [map] })),
        Value::Array(runs) => Some(json!({ "runs": runs })),
        _ => None,
    }
}

/// `200 {"atomic_version", "events", "runs"}`, or an empty 204 when nothing changed.
fn describe(answer: &[u8]) -> String {
    match serde_json::from_slice::<Value>(answer) {
        Ok(report) => format!("version {} with {} events over {} runs", report["atomic_version"], report["events"], report["runs"]),
        Err(_) => "nothing changed".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(list: &[&str]) -> Vec<String> {
        list.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn options_take_the_directory_url_and_token() {
        let env = |name: &str| (name == "RR_ADMIN_TOKEN").then(|| "from-env".to_string());
        let options = Options::parse(&words(&["load", "runs", "--url", "http://h:1/"]), env).unwrap();
        assert_eq!((options.dir, options.url.as_str(), options.token.as_deref()), (PathBuf::from("runs"), "http://h:1", Some("from-env")));
        let options = Options::parse(&words(&["load", "--token", "t", "d"]), |_| None).unwrap();
        assert_eq!(options.token.as_deref(), Some("t"));
        assert!(Options::parse(&words(&["load"]), |_| None).is_err());
        assert!(Options::parse(&words(&["load", "a", "b"]), |_| None).is_err());
        assert!(Options::parse(&words(&["drop", "a"]), |_| None).is_err());
        assert!(Options::parse(&words(&["load", "a", "--bogus"]), |_| None).is_err());
    }

    #[test]
    fn every_file_shape_becomes_a_runs_batch() {
        let run = json!({"run_number": 1});
        assert_eq!(batch_of(json!([run])), Some(json!({"runs": [run]})));
        assert_eq!(batch_of(run.clone()), Some(json!({"runs": [run]})));
        assert_eq!(batch_of(json!({"runs": [run]})), Some(json!({"runs": [run]})));
        assert_eq!(batch_of(json!({"runs": 3})), None);
        assert_eq!(batch_of(json!("text")), None);
    }

    #[test]
    fn only_json_files_are_loaded_in_name_order() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["b.json", "a.json", "notes.txt"] {
            std::fs::write(dir.path().join(name), "[]").unwrap();
        }
        std::fs::create_dir(dir.path().join("sub.json")).unwrap();
        let names: Vec<String> = json_files(dir.path()).unwrap().iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
        assert_eq!(names, ["a.json", "b.json"]);
        assert!(json_files(&dir.path().join("missing")).is_err());
    }
}
