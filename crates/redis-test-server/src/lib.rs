//! A throw-away `redis-server` on a free port for tests and benches (optionally a replica), killed on drop.

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A redis-server child process without persistence, killed on drop.
pub struct RedisServer {
    child: Child,
    /// Its working dir: a replica writes the RDB it receives (`dump.rdb`) there, not into the source tree.
    _dir: tempfile::TempDir,
    pub url: String,
    pub port: u16,
}

impl RedisServer {
    /// Starts one. Fails loudly when `redis-server` is not installed: the Redis backend must be tested, not
    /// skipped.
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// Like [`start`](Self::start), with extra arguments (e.g. `--replicaof 127.0.0.1 <port>`).
    pub fn start_with(extra: &[&str]) -> Self {
        Self::try_start(extra).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Starts one, or says why it could not (for benches that skip Redis when it is not installed).
    pub fn try_start(extra: &[&str]) -> Result<Self, String> {
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_err(|e| format!("no free port: {e}"))?.port();
        let dir = tempfile::tempdir().map_err(|e| format!("no temporary dir: {e}"))?;
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args(extra)
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start redis-server ({e}): install it with `apt-get install -y redis-server`"))?;
        let mut server = RedisServer { child, _dir: dir, url: format!("redis://127.0.0.1:{port}"), port };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() >= deadline || server.child.try_wait().ok().flatten().is_some() {
                return Err(format!("redis-server did not listen on port {port}"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(server)
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
