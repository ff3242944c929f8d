//! `gateway up`: serves a Spin app's HTTP components on wasmtime, the way `spin up` does.

mod access_log;
mod bindings;
mod build_cmd;
mod chaining;
mod cli;
mod engine;
mod host;
mod load;
mod runner;
mod server;

use std::sync::Arc;

use anyhow::{bail, Context, Result};

fn main() {
    if let Err(err) = run() {
        eprintln!("Error: {err:#}");
        std::process::exit(1);
    }
}

fn run() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("up") => {}
        Some("-h" | "--help") | None => {
            println!("{}", cli::USAGE);
            return Ok(());
        }
        Some(other) => bail!("unknown command {other:?}\n{}", cli::USAGE),
    }
    let options = cli::parse_up(&args[1..], |key| std::env::var(key).ok())?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        let gateway = load::load(&options)?;
        let listener = tokio::net::TcpListener::bind(options.listen).await.with_context(|| {
            format!(
                "{} is already in use or cannot be bound. To have Spin search for a free port, use the --find-free-port option.",
                options.listen
            )
        })?;
        let address = listener.local_addr()?;
        gateway.chaining.listening_on(address);
        println!("Serving http://{address}");
        println!("Available Routes:");
        for (route, target) in gateway.router.routes() {
            println!("  {}: http://{address}{}", target.id(), route);
        }
        server::serve(Arc::new(gateway), listener).await
    })
}
