//! Cargo runner for wasm32-wasip2 test and bench binaries: runs the component under wasmtime with the repository
//! (which holds `tests/fixtures`) and the working directory preopened read-only, the host's args and environment
//! passed through, and the guest's exit code as ours.
//!
//! Use: `CARGO_TARGET_WASM32_WASIP2_RUNNER=/path/to/wasi-test-runner cargo test --target wasm32-wasip2 -p …`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::error::Context;
use wasmtime::{bail, Config, Engine, Result, Store};
use wasmtime_wasi::p2::bindings::sync::Command;
use wasmtime_wasi::{FsPerms, I32Exit, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

struct State {
    ctx: WasiCtx,
    table: ResourceTable,
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.ctx,
            table: &mut self.table,
        }
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("wasi-test-runner: {e:#}");
            ExitCode::from(101)
        }
    }
}

/// The nearest directory at or above `start` that has `tests/fixtures` (the repository root), if any.
fn repo_root(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|dir| dir.join("tests/fixtures").is_dir())
        .map(Path::to_path_buf)
}

fn run() -> Result<u8> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(wasm) = args.first() else {
        bail!("usage: wasi-test-runner FILE.wasm [ARGS…]")
    };
    let cwd = std::env::current_dir().context("current directory")?;

    let mut wasi = WasiCtxBuilder::new();
    wasi.inherit_stdio().args(&args);
    let env: Vec<(String, String)> = std::env::vars().collect();
    wasi.envs(&env);
    // The repository at its own absolute path, so `env!("CARGO_MANIFEST_DIR")/../../tests/fixtures` resolves
    // inside one preopen; the working directory as `.` for relative paths.
    if let Some(root) = repo_root(&cwd) {
        let guest = root.to_str().context("repository path is not UTF-8")?;
        wasi.preopened_dir(&root, guest, FsPerms::ReadOnly)
            .with_context(|| format!("preopen {}", root.display()))?;
    }
    wasi.preopened_dir(&cwd, ".", FsPerms::ReadOnly)
        .context("preopen the working directory")?;

    let engine =
        Engine::new(Config::new().wasm_component_model(true)).context("wasmtime engine")?;
    let component = Component::from_file(&engine, wasm).with_context(|| format!("load {wasm}"))?;
    let mut linker = Linker::new(&engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker).context("link WASI")?;
    let mut store = Store::new(
        &engine,
        State {
            ctx: wasi.build(),
            table: ResourceTable::new(),
        },
    );
    let command = Command::instantiate(&mut store, &component, &linker)
        .with_context(|| format!("instantiate {wasm}"))?;
    match command.wasi_cli_run().call_run(&mut store) {
        Ok(Ok(())) => Ok(0),
        Ok(Err(())) => Ok(1),
        Err(e) => match e.downcast_ref::<I32Exit>() {
            Some(exit) => Ok(u8::try_from(exit.0).unwrap_or(1)),
            // A trap (e.g. a panic, which aborts on wasm): report it and fail like a crashed test.
            None => Err(e).context(format!("{wasm} trapped")),
        },
    }
}
