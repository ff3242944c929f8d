//! Shared helpers for the end-to-end tests in `tests/tests/`: locate the built binaries and components,
//! lay out a test app, start the gateway on a free port (killed on drop) and speak plain HTTP/1.1 to it.

pub mod apps;
pub mod dqmgui;
pub mod dqmsquare;
pub mod http;
pub mod pki;
pub mod stats2;

use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub use http::{request, HttpResponse};

/// The command that builds the test components; printed when one is missing.
pub const COMPONENT_BUILD: &str = "cargo build --release --target wasm32-wasip2 -p test-echo -p test-kv";
/// The command that builds the gateway; printed when it is missing.
pub const GATEWAY_BUILD: &str = "cargo build --release -p gateway";

/// `$CARGO_TARGET_DIR`, else `<workspace>/target`.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"),
    }
}

/// A workspace binary: `$<env>`, else the release build, else the debug build; panics with the build command.
fn workspace_binary(name: &str, env: &str, build: &str) -> PathBuf {
    if let Some(bin) = std::env::var_os(env) {
        return PathBuf::from(bin);
    }
    let candidates = [target_dir().join("release").join(name), target_dir().join("debug").join(name)];
    match candidates.iter().find(|p| p.is_file()) {
        Some(bin) => bin.clone(),
        None => panic!("{name} not found at {candidates:?}: run `{build}` first"),
    }
}

/// The gateway binary (`$GATEWAY_BIN` overrides).
pub fn gateway_bin() -> PathBuf {
    workspace_binary("gateway", "GATEWAY_BIN", GATEWAY_BUILD)
}

/// The scraper-host binary (`$SCRAPER_HOST_BIN` overrides).
pub fn scraper_host_bin() -> PathBuf {
    workspace_binary("scraper-host", "SCRAPER_HOST_BIN", "cargo build --release -p scraper-host")
}

/// A test component's wasm; panics with the build command when it has not been built.
pub fn component_wasm(name: &str) -> PathBuf {
    let path = target_dir().join("wasm32-wasip2/release").join(format!("{}.wasm", name.replace('-', "_")));
    assert!(path.is_file(), "test component {} is missing: run `{COMPONENT_BUILD}` first", path.display());
    path
}

/// A copy of `tests/apps/<name>` in a temp dir, with `__<NAME>_WASM__` placeholders in `spin.toml`
/// replaced by the built components' paths.
pub struct TestApp {
    pub dir: tempfile::TempDir,
}

impl TestApp {
    pub fn new(name: &str) -> TestApp {
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("apps").join(name);
        let dir = tempfile::tempdir().expect("temp dir");
        copy_dir(&source, dir.path());
        let manifest = dir.path().join("spin.toml");
        let mut text = std::fs::read_to_string(&manifest).expect("test manifest");
        for component in ["test-echo", "test-kv"] {
            let placeholder = format!("__{}_WASM__", component.to_uppercase().replace('-', "_"));
            if text.contains(&placeholder) {
                text = text.replace(&placeholder, &component_wasm(component).to_string_lossy());
            }
        }
        std::fs::write(&manifest, text).expect("write manifest");
        TestApp { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn manifest(&self) -> PathBuf {
        self.path().join("spin.toml")
    }

    /// Spin's default state dir beside the manifest.
    pub fn state_dir(&self) -> PathBuf {
        self.path().join(".spin")
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).unwrap_or_else(|e| panic!("reading {}: {e}", from.display())) {
        let entry = entry.expect("dir entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

/// A running gateway process; killed when dropped.
pub struct Gateway {
    child: Option<Child>,
    pub addr: SocketAddr,
    log: PathBuf,
    _log_dir: tempfile::TempDir,
}

impl Gateway {
    /// Starts `gateway up --from <manifest> --listen <free port> <args…>` and waits until it answers.
    pub fn start(app: &TestApp, args: &[&str], env: &[(&str, &str)]) -> Gateway {
        match Self::try_start(app, args, env) {
            Ok(gateway) => gateway,
            Err(log) => panic!("gateway did not start:\n{log}"),
        }
    }

    /// Like [`start`](Self::start), but returns the output when the process exits before serving.
    pub fn try_start(app: &TestApp, args: &[&str], env: &[(&str, &str)]) -> Result<Gateway, String> {
        let addr = free_port();
        let log_dir = tempfile::tempdir().expect("log dir");
        let log = log_dir.path().join("gateway.log");
        let log_file = std::fs::File::create(&log).expect("log file");
        let mut command = Command::new(gateway_bin());
        command
            .arg("up")
            .arg("--from")
            .arg(app.manifest())
            .arg("--listen")
            .arg(addr.to_string())
            .args(args)
            .current_dir(app.path())
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().expect("log file"))
            .stderr(log_file);
        for (key, value) in env {
            command.env(key, value);
        }
        let child = command.spawn().expect("spawn gateway");
        let mut gateway = Gateway { child: Some(child), addr, log, _log_dir: log_dir };
        let deadline = Instant::now() + Duration::from_secs(120);
        while Instant::now() < deadline {
            if let Some(status) = gateway.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                return Err(format!("exited with {status}\n{}", gateway.log()));
            }
            if TcpStream::connect(addr).is_ok() {
                return Ok(gateway);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(format!("not listening after 120 s\n{}", gateway.log()))
    }

    /// Everything the gateway printed so far.
    pub fn log(&self) -> String {
        let mut text = String::new();
        if let Ok(mut file) = std::fs::File::open(&self.log) {
            let _ = file.read_to_string(&mut text);
        }
        text
    }

    pub fn get(&self, path: &str) -> HttpResponse {
        self.send("GET", path, &[], b"")
    }

    pub fn send(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> HttpResponse {
        request(self.addr, method, path, headers, body).unwrap_or_else(|e| panic!("{method} {path}: {e}\n{}", self.log()))
    }

    /// Sends SIGTERM and waits for the exit status.
    pub fn stop(mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("running");
        let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = child.try_wait().expect("wait") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("gateway ignored SIGTERM\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A port that was free a moment ago.
pub fn free_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("local addr")
}
