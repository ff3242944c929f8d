//! `scraper-host kv …`: operator access to the shared stores, and backup/restore.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};

use crate::args::{failed, usage, Failure, Global, SubArgs};
use crate::stores;

pub fn run(global: &Global, words: &[String]) -> Result<(), Failure> {
    let (action, rest) = words.split_first().ok_or_else(|| usage("kv needs an action: dump, restore, get, set, keys"))?;
    let sub = SubArgs::parse(rest)?;
    match action.as_str() {
        "dump" => {
            sub.expect([])?;
            let manager = stores::open(global)?;
            let count = match &sub.out {
                Some(path) => {
                    let file = File::create(path).map_err(|e| failed(format!("creating {}: {e}", path.display())))?;
                    manager.dump(&mut BufWriter::new(file))
                }
                None => manager.dump(&mut std::io::stdout().lock()),
            }
            .map_err(failed)?;
            eprintln!("dumped {count} entries");
        }
        "restore" => {
            let [path] = sub.expect(["FILE"])?;
            let file = File::open(path).map_err(|e| failed(format!("opening {path}: {e}")))?;
            let count = stores::open(global)?.restore(&mut BufReader::new(file)).map_err(failed)?;
            eprintln!("restored {count} entries");
        }
        "get" => {
            let [key] = sub.expect(["KEY"])?;
            let value = store(global, &sub.store)?.get(key).map_err(failed)?;
            let value = value.ok_or_else(|| failed(format!("no key {key:?} in store {:?}", sub.store)))?;
            let mut out = std::io::stdout().lock();
            out.write_all(&value).and_then(|()| out.flush()).map_err(failed)?;
        }
        "set" => {
            let [key, value] = sub.expect(["KEY", "VALUE"])?;
            store(global, &sub.store)?.set(key, value.as_bytes()).map_err(failed)?;
        }
        "keys" => {
            sub.expect([])?;
            let mut keys = store(global, &sub.store)?.get_keys().map_err(failed)?;
            keys.sort();
            let mut out = std::io::stdout().lock();
            for key in keys {
                writeln!(out, "{key}").map_err(failed)?;
            }
        }
        other => return Err(usage(format!("unknown kv action {other:?}"))),
    }
    Ok(())
}

fn store(global: &Global, label: &str) -> Result<kv_store::SharedStore, Failure> {
    stores::open(global)?.get(label).ok_or_else(|| failed(format!("no store {label:?} in the runtime config")))
}
