//! Command-line options of `gateway up`, mirroring `spin up` (flags and their environment variables).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context, Result};

pub const USAGE: &str = "usage: gateway up [--from spin.toml] [--listen 127.0.0.1:3000] [--runtime-config-file FILE]
                  [--state-dir DIR] [--build] [--read-only] [--max-request-body BYTES]
                  [--request-timeout SECONDS] [--max-instance-memory BYTES]";

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
            other => bail!("unknown option {other:?}\n{USAGE}"),
        }
    }
    Ok(options)
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
}
