//! `scraper-host backup | restore | snapshot`: consistent copies of the embedded SQLite store by SQLite's
//! online backup API (`kv_store`'s replica module). `backup` writes one `dqm-store-<UTC timestamp>.tar.gz`;
//! `restore` replaces the data with an archive's (also on a `--read-only` secondary, which it
//! re-initialises); `snapshot` replicates the primary's file into a secondary's live database file.

use std::path::Path;
use std::time::SystemTime;

use crate::args::{failed, usage, Failure, Global, SubArgs};
use crate::stores;

pub fn run(global: &Global, command: &str, words: &[String]) -> Result<(), Failure> {
    let sub = SubArgs::parse(words)?;
    let manager = stores::open(global)?;
    match command {
        "backup" => {
            sub.expect([])?;
            let out = sub.out.clone().unwrap_or_else(|| ".".into());
            let archive = manager.backup_archive(&out, SystemTime::now()).map_err(failed)?;
            println!("{}", archive.display());
        }
        "restore" => {
            let [archive] = sub.expect(["ARCHIVE"])?;
            let labels = manager.restore_archive(Path::new(archive)).map_err(failed)?;
            eprintln!("restored {} from {archive}", labels.join(", "));
        }
        "snapshot" => {
            let [dest] = sub.expect(["SECONDARY_DB"])?;
            let meta = manager.snapshot_to(&sub.store, Path::new(dest)).map_err(failed)?;
            eprintln!("snapshot {} ({} entries) installed in {dest}", meta.taken_at, meta.entries);
        }
        other => return Err(usage(format!("unknown command {other:?}"))),
    }
    Ok(())
}
