//! `scraper-host`: the native side of dqm-spin. It opens the gateway's key-value stores from the same runtime
//! config and state dir; one module per subcommand.

mod args;
mod backup;
mod dqmsquare;
mod kv;
mod nectarcam;
mod runregistry;
mod stats2;
mod stores;

use std::process::ExitCode;

const USAGE: &str = "usage: scraper-host [--from spin.toml] [--runtime-config-file FILE] [--state-dir DIR] [--read-only] <command>

--read-only opens every store as a secondary (`gateway up --read-only`) does: writes fail, ingest exits 3.

commands:
  kv dump [--out FILE]            write every store to FILE (default stdout) as JSON lines
  kv restore FILE                 upsert a dump's entries, all or nothing per backend
  kv get [--store LABEL] KEY      print a value (raw bytes) to stdout
  kv set [--store LABEL] KEY VALUE
  kv keys [--store LABEL]         list keys, one a line
  backup [--out DIR]              write one consistent snapshot of the SQLite store(s) (online backup API)
                                  as DIR/dqm-store-<UTC timestamp>.tar.gz and print its path
  restore ARCHIVE                 replace the data with a backup archive's (re-initialises a secondary)
  snapshot [--store LABEL] SECONDARY_DB
                                  replicate: install a consistent snapshot of the label's SQLite file into a
                                  secondary's live database file (its gateway keeps serving)
  stats2 [--once] [--interval S] [--update-every S] [--store LABEL] [--reqmgr URL] [--wmstats URL]
         [--dbs URL] [--cert F --key F] [--ca F] [--timeout S] [--retries N] [--workers N]
         [--trigger-prod] [--trigger-dev] [--callback-prod URL] [--callback-dev URL] [--token-url URL]
         [--callback-backoff S]
                                  the Stats2 poller (env: STATS2_REQMGR_URL, STATS2_WMSTATS_URL,
                                  STATS2_DBS_URL, USERCRT, USERKEY, STATS2_CA_BUNDLE, CALLBACK_*,
                                  STATS2_CALLBACK_PROD_URL, STATS2_CALLBACK_DEV_URL, STATS2_TOKEN_URL)
  dqmsquare grab [--mode playback|production] [--once] [--proxy URL] [--cert F --key F] [--ca F]
                 [--timeout S] [--info-interval S] [--status-interval S] [--store LABEL]
                                  the fff_dqmtools grabber (env: CMSWEB_FRONTEND_PROXY_URL, DQM_FFF_SECRET,
                                  FFF_*_MACHINES, SERVER_FFF_MACHINE, SERVER_GRID_CERT_PATH/KEY_PATH)
  dqmsquare robber --url URL [--mode playback|production] [--once] [--interval S] [--timeout S]
                   [--chromium PATH] [--reload-every N] [--restart-every N] [--store LABEL]
                   [--old-runs [--click-wait S] [--max-old-runs N]]
                                  scrape DQM² pages in headless Chromium into the DQM² tables; --old-runs
                                  clicks each finished run's link instead (the highest run is skipped)
  nectarcam ingest --camera C --run N... [--force] [--path P]
                                  store NectarCAM DQM results in the default store; the library's exit
                                  codes (3: the store is read-only)
  rr load DIR [--url http://127.0.0.1:3000] [--token T] [--comment C]
                                  POST every DIR/*.json (runs with OMS lumisections) to /rr/api/ingest
                                  with the admin token (env: RR_ADMIN_TOKEN)";

fn main() -> ExitCode {
    let parsed = match args::Args::parse(std::env::args().skip(1)) {
        Ok(parsed) => parsed,
        Err(message) => {
            eprintln!("error: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let result = match parsed.command.first().map(String::as_str) {
        Some("kv") => kv::run(&parsed.global, &parsed.command[1..]),
        Some("stats2") => stats2::run(&parsed.global, &parsed.command[1..]),
        Some("dqmsquare") => dqmsquare::run(&parsed.global, &parsed.command[1..]),
        Some("nectarcam") => {
            let code = nectarcam::run(&parsed.global, &parsed.command[1..]);
            return ExitCode::from(u8::try_from(code).unwrap_or(1));
        }
        Some(cmd @ ("backup" | "restore" | "snapshot")) => backup::run(&parsed.global, cmd, &parsed.command[1..]),
        Some("rr") => runregistry::run(&parsed.command[1..]),
        Some("help") | None => {
            println!("{USAGE}");
            Ok(())
        }
        Some(other) => Err(args::usage(format!("unknown command {other:?}"))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(args::Failure::Usage(message)) => {
            eprintln!("error: {message}\n\n{USAGE}");
            ExitCode::from(2)
        }
        Err(args::Failure::Failed(message)) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
