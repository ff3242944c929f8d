//! Test fixture: a throw-away redis-server on a free port.

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A redis-server child process, killed on drop.
pub struct RedisServer {
    child: Child,
    /// Its working dir: a replica writes the RDB it receives (`dump.rdb`) there, not into the source tree.
    _dir: tempfile::TempDir,
    pub url: String,
    #[allow(dead_code)]
    pub port: u16,
}

impl RedisServer {
    /// Starts `redis-server` without persistence on a free port. Fails loudly when it is not installed:
    /// the Redis backend must be tested, not skipped.
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// Like [`start`](Self::start), with extra arguments (e.g. `--replicaof 127.0.0.1 <port>`).
    #[allow(dead_code)]
    pub fn start_with(extra: &[&str]) -> Self {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let dir = tempfile::tempdir().unwrap();
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args(extra)
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start redis-server ({e}): install it with `apt-get install -y redis-server`")
            });
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not listen on port {port}");
            std::thread::sleep(Duration::from_millis(20));
        }
        RedisServer { child, _dir: dir, url: format!("redis://127.0.0.1:{port}"), port }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
