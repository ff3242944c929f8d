//! Lean argument parsing: global options (as `gateway up` takes them) anywhere, then the command words.

use std::path::PathBuf;

/// Options every subcommand shares, mirroring `gateway up`.
#[derive(Debug, Default)]
pub struct Global {
    /// `--from`: the manifest (or its directory); the default state dir is `.spin` beside it.
    pub from: Option<PathBuf>,
    /// `--runtime-config-file`, else `$RUNTIME_CONFIG_FILE`.
    pub runtime_config_file: Option<PathBuf>,
    /// `--state-dir`; `""` means none (in-memory default store), as in Spin.
    pub state_dir: Option<String>,
    /// `--read-only`: open every store as a secondary does (`gateway up --read-only`); writes then fail.
    pub read_only: bool,
}

pub struct Args {
    pub global: Global,
    /// The command and its own arguments, in order.
    pub command: Vec<String>,
}

/// Why a command did not succeed: bad usage (exit 2, with help) or a failed operation (exit 1).
#[derive(Debug)]
pub enum Failure {
    Usage(String),
    Failed(String),
}

pub fn usage(message: impl Into<String>) -> Failure {
    Failure::Usage(message.into())
}

pub fn failed(message: impl std::fmt::Display) -> Failure {
    Failure::Failed(message.to_string())
}

impl Args {
    pub fn parse(raw: impl IntoIterator<Item = String>) -> Result<Args, String> {
        let mut global = Global::default();
        let mut command = Vec::new();
        let mut raw = raw.into_iter();
        while let Some(arg) = raw.next() {
            if arg == "--read-only" {
                global.read_only = true;
                continue;
            }
            let (name, inline) = match arg.split_once('=') {
                Some((name, value)) if name.starts_with("--") => (name.to_owned(), Some(value.to_owned())),
                _ => (arg.clone(), None),
            };
            let slot = match name.as_str() {
                "--from" | "-f" => Slot::From,
                "--runtime-config-file" => Slot::RuntimeConfig,
                "--state-dir" => Slot::StateDir,
                _ => {
                    command.push(arg);
                    continue;
                }
            };
            let value = inline.or_else(|| raw.next()).ok_or_else(|| format!("{name} needs a value"))?;
            match slot {
                Slot::From => global.from = Some(value.into()),
                Slot::RuntimeConfig => global.runtime_config_file = Some(value.into()),
                Slot::StateDir => global.state_dir = Some(value),
            }
        }
        if global.runtime_config_file.is_none() {
            global.runtime_config_file = std::env::var_os("RUNTIME_CONFIG_FILE").filter(|v| !v.is_empty()).map(PathBuf::from);
        }
        Ok(Args { global, command })
    }
}

enum Slot {
    From,
    RuntimeConfig,
    StateDir,
}

/// Splits a subcommand's words into `--store LABEL` (default `default`), `--out FILE` and positionals.
pub struct SubArgs {
    pub store: String,
    pub out: Option<PathBuf>,
    pub positional: Vec<String>,
}

impl SubArgs {
    pub fn parse(words: &[String]) -> Result<SubArgs, Failure> {
        let mut parsed = SubArgs { store: "default".into(), out: None, positional: Vec::new() };
        let mut words = words.iter();
        while let Some(word) = words.next() {
            match word.as_str() {
                "--store" => parsed.store = words.next().ok_or_else(|| usage("--store needs a label"))?.clone(),
                "--out" => parsed.out = Some(words.next().ok_or_else(|| usage("--out needs a file"))?.into()),
                flag if flag.starts_with("--") => return Err(usage(format!("unknown option {flag}"))),
                _ => parsed.positional.push(word.clone()),
            }
        }
        Ok(parsed)
    }

    /// Exactly `N` positionals, named in the error.
    pub fn expect<const N: usize>(&self, names: [&str; N]) -> Result<[&str; N], Failure> {
        if self.positional.len() != N {
            return Err(usage(format!("expected {}", if N == 0 { "no arguments".into() } else { names.join(" ") })));
        }
        Ok(std::array::from_fn(|i| self.positional[i].as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(words: &[&str]) -> Args {
        Args::parse(words.iter().map(|w| w.to_string())).unwrap()
    }

    #[test]
    fn global_options_go_anywhere() {
        let args = parse(&["kv", "--state-dir", "/s", "get", "--from=app/spin.toml", "k", "--read-only"]);
        assert_eq!(args.command, ["kv", "get", "k"]);
        assert!(args.global.read_only);
        assert_eq!(args.global.state_dir.as_deref(), Some("/s"));
        assert_eq!(args.global.from, Some(PathBuf::from("app/spin.toml")));
        assert!(Args::parse(["--state-dir".to_string()]).is_err());
    }

    #[test]
    fn sub_args_take_store_and_positionals() {
        let words: Vec<String> = ["--store", "runs", "key", "value"].map(String::from).to_vec();
        let sub = SubArgs::parse(&words).unwrap();
        assert_eq!(sub.store, "runs");
        assert_eq!(sub.expect(["KEY", "VALUE"]).unwrap(), ["key", "value"]);
        assert!(sub.expect(["KEY"]).is_err());
        assert!(SubArgs::parse(&["--bogus".to_string()]).is_err());
    }
}
