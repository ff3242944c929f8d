//! Command-line options of `gateway up`, mirroring `spin up` (flags and their environment variables).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context, Result};

pub const USAGE: &str = "usage: gateway up [--from spin.toml] [--listen 127.0.0.1:3000] [--runtime-config-file FILE]
                  [--state-dir DIR] [--build] [--read-only] [--max-request-body BYTES]
                  [--request-timeout SECONDS] [--max-instance-memory BYTES]
                  [--variable KEY=VALUE | KEY=@FILE | @FILE.json | @FILE.toml]...";

#[derive(Debug, Clone, PartialEq)]
pub struct UpOptions {
    /// A manifest file, or a directory holding `spin.toml`.
    pub from: PathBuf,
    pub listen: SocketAddr,
    pub runtime_config_file: Option<PathBuf>,
    /// `None`: `.spin` beside the manifest; `Some("")`: no state dir (in-memory stores), as in Spin.
    pub state_dir: Option<PathBuf>,
    pub build: bool,
    pub read_only: bool,
    pub max_request_body: usize,
    pub request_timeout: Duration,
    pub max_instance_memory: usize,
    /// `--variable` arguments in order, as given (resolved by [`cli_variables`] at load).
    pub variables: Vec<String>,
}

/// Parses the arguments after `up`; `env` looks up environment variables (injected for tests).
pub fn parse_up(args: &[String], env: impl Fn(&str) -> Option<String>) -> Result<UpOptions> {
    let mut options = UpOptions {
        from: PathBuf::from("spin.toml"),
        listen: env("SPIN_HTTP_LISTEN_ADDR").unwrap_or_else(|| "127.0.0.1:3000".into()).parse().context("SPIN_HTTP_LISTEN_ADDR")?,
        runtime_config_file: env("RUNTIME_CONFIG_FILE").filter(|v| !v.is_empty()).map(PathBuf::from),
        state_dir: None,
        build: env("SPIN_ALWAYS_BUILD").is_some_and(|v| v == "1" || v == "true"),
        read_only: false,
        max_request_body: 64 * 1024 * 1024,
        request_timeout: Duration::from_secs(30),
        max_instance_memory: match env("SPIN_MAX_INSTANCE_MEMORY") {
            Some(v) => v.parse().context("SPIN_MAX_INSTANCE_MEMORY must be a number of bytes")?,
            None => 256 * 1024 * 1024,
        },
        variables: Vec::new(),
    };
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        let (name, inline) = match flag.split_once('=') {
            Some((name, value)) if name.starts_with("--") => (name, Some(value.to_owned())),
            _ => (flag.as_str(), None),
        };
        let mut value = || -> Result<String> {
            match inline.clone().or_else(|| args.next().cloned()) {
                Some(v) => Ok(v),
                None => bail!("{name} needs a value\n{USAGE}"),
            }
        };
        match name {
            "-f" | "--from" | "--file" => options.from = PathBuf::from(value()?),
            "--listen" => options.listen = value()?.parse().context("--listen expects host:port")?,
            "--runtime-config-file" => options.runtime_config_file = Some(PathBuf::from(value()?)),
            "--state-dir" => options.state_dir = Some(PathBuf::from(value()?)),
            "--build" => options.build = true,
            "--read-only" => options.read_only = true,
            "--max-request-body" => options.max_request_body = value()?.parse().context("--max-request-body expects bytes")?,
            "--request-timeout" => {
                let seconds: f64 = value()?.parse().context("--request-timeout expects seconds")?;
                if !(seconds > 0.0 && seconds.is_finite()) {
                    bail!("--request-timeout must be positive");
                }
                options.request_timeout = Duration::from_secs_f64(seconds);
            }
            "--max-instance-memory" => options.max_instance_memory = value()?.parse().context("--max-instance-memory expects bytes")?,
            "--variable" => options.variables.push(value()?),
            other => bail!("unknown option {other:?}\n{USAGE}"),
        }
    }
    Ok(options)
}

/// The values of `spin up --variable` arguments; a later argument overrides an earlier one. Forms:
/// `key=value`, `key=@file` (the file's text), `@file.json` (an object of strings), `@file.toml` (a table of
/// strings). `read` reads a file (injected for tests).
pub fn cli_variables(args: &[String], read: impl Fn(&str) -> Result<String>) -> Result<BTreeMap<String, String>> {
    let mut values = BTreeMap::new();
    for arg in args {
        if let Some(file) = arg.strip_prefix('@') {
            let text = read(file)?;
            let table: BTreeMap<String, String> = if file.ends_with(".json") {
                serde_json::from_str(&text).with_context(|| format!("--variable @{file}: expected a JSON object of strings"))?
            } else if file.ends_with(".toml") {
                toml::from_str(&text).with_context(|| format!("--variable @{file}: expected a TOML table of strings"))?
            } else {
                bail!("--variable @{file}: the file must end in .json or .toml");
            };
            values.extend(table);
            continue;
        }
        let Some((key, value)) = arg.split_once('=') else {
            bail!("--variable {arg:?}: expected KEY=VALUE, KEY=@FILE or @FILE");
        };
        let value = match value.strip_prefix('@') {
            Some(file) => read(file)?,
            None => value.to_owned(),
        };
        values.insert(key.to_owned(), value);
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str], env: &[(&str, &str)]) -> Result<UpOptions> {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let env: Vec<(String, String)> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        parse_up(&args, |key| env.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()))
    }

    #[test]
    fn defaults_match_spin_up() {
        let options = parse(&[], &[]).unwrap();
        assert_eq!(options.from, PathBuf::from("spin.toml"));
        assert_eq!(options.listen, "127.0.0.1:3000".parse().unwrap());
        assert_eq!(options.state_dir, None);
        assert!(!options.build && !options.read_only);
    }

    #[test]
    fn flags_override_environment() {
        let env = [("SPIN_HTTP_LISTEN_ADDR", "0.0.0.0:80"), ("RUNTIME_CONFIG_FILE", "/rc.toml")];
        assert_eq!(parse(&[], &env).unwrap().listen, "0.0.0.0:80".parse().unwrap());
        assert_eq!(parse(&[], &env).unwrap().runtime_config_file, Some(PathBuf::from("/rc.toml")));
        let options = parse(&["--listen=127.0.0.1:9", "--from", "app", "--read-only", "--state-dir", ""], &env).unwrap();
        assert_eq!(options.listen, "127.0.0.1:9".parse().unwrap());
        assert_eq!(options.from, PathBuf::from("app"));
        assert_eq!(options.state_dir, Some(PathBuf::new()));
        assert!(options.read_only);
    }

    #[test]
    fn bad_input_is_an_error() {
        assert!(parse(&["--listen"], &[]).is_err());
        assert!(parse(&["--listen", "nope"], &[]).is_err());
        assert!(parse(&["--bogus"], &[]).is_err());
        assert!(parse(&["--request-timeout", "-1"], &[]).is_err());
        assert!(parse(&[], &[("SPIN_MAX_INSTANCE_MEMORY", "lots")]).is_err());
    }

    #[test]
    fn variables_in_every_spin_form() {
        let read = |file: &str| -> Result<String> {
            match file {
                "token.txt" => Ok("s3cret".into()),
                "vars.json" => Ok(r#"{"host": "from-json", "region": "eu"}"#.into()),
                "vars.toml" => Ok("host = \"from-toml\"\n".into()),
                "bad.json" => Ok("[1]".into()),
                other => bail!("no file {other}"),
            }
        };
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let parsed = parse(&["--variable", "admin_token=@token.txt", "--variable=host=plain"], &[]).unwrap();
        assert_eq!(parsed.variables, args(&["admin_token=@token.txt", "host=plain"]));
        let values = cli_variables(&parsed.variables, read).unwrap();
        assert_eq!(values["admin_token"], "s3cret");
        assert_eq!(values["host"], "plain");
        let values = cli_variables(&args(&["@vars.json", "@vars.toml", "empty="]), read).unwrap();
        assert_eq!((values["host"].as_str(), values["region"].as_str(), values["empty"].as_str()), ("from-toml", "eu", ""));
        assert!(cli_variables(&args(&["novalue"]), read).is_err());
        assert!(cli_variables(&args(&["@bad.json"]), read).is_err());
        assert!(cli_variables(&args(&["@vars.yaml"]), read).is_err());
        assert!(cli_variables(&args(&["k=@missing"]), read).is_err());
    }
}
