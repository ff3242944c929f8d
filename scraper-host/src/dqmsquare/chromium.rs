//! A headless Chromium in its own process group, driven over the DevTools protocol (a small sync CDP
//! client over one websocket, flattened sessions per tab). Dropping it kills the whole process group, and
//! a signal handler does the same if the robber is told to stop, so no browser process outlives us.

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tungstenite::{Message, WebSocket};

/// Why the browser is no longer usable; every variant means "kill it and start another".
#[derive(Debug)]
pub enum BrowserError {
    /// No answer within the timeout.
    Hung(String),
    /// The process or its websocket went away.
    Crashed(String),
    /// The protocol answered with an error (bad script, bad URL…).
    Protocol(String),
}

impl std::fmt::Display for BrowserError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BrowserError::Hung(what) => write!(f, "browser hung: {what}"),
            BrowserError::Crashed(what) => write!(f, "browser crashed: {what}"),
            BrowserError::Protocol(what) => write!(f, "devtools error: {what}"),
        }
    }
}

pub type BrowserResult<T> = Result<T, BrowserError>;

/// The process group of the live browser, for the signal handler (0 = none).
static BROWSER_GROUP: AtomicI32 = AtomicI32::new(0);
static PROFILE_COUNTER: AtomicU64 = AtomicU64::new(0);

extern "C" fn kill_browser_and_exit(signal: libc::c_int) {
    let group = BROWSER_GROUP.load(Ordering::SeqCst);
    // SAFETY: kill and _exit are async-signal-safe.
    unsafe {
        if group > 0 {
            libc::kill(-group, libc::SIGKILL);
        }
        libc::_exit(128 + signal);
    }
}

/// SIGINT, SIGTERM and SIGHUP kill the browser's process group before the robber exits.
pub fn install_signal_handlers() {
    for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        // SAFETY: the handler only calls async-signal-safe functions.
        unsafe {
            libc::signal(signal, kill_browser_and_exit as *const () as libc::sighandler_t);
        }
    }
}

/// Removes the profiles of robbers that are gone (a signal ends the robber without cleaning up).
pub fn remove_stale_profiles() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else { return };
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().into_owned();
        let pid = name.strip_prefix("dqmsquare-robber-").and_then(|rest| rest.split('-').next()).and_then(|p| p.parse::<u32>().ok());
        // A pid that is gone, or now belongs to another program, no longer owns its profile.
        let alive = |pid: u32| std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|comm| comm.trim() == "scraper-host");
        if pid.is_some_and(|pid| !alive(pid)) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

pub struct Browser {
    child: Child,
    socket: WebSocket<TcpStream>,
    next_id: u64,
    timeout: Duration,
    profile: PathBuf,
}

impl Browser {
    /// Starts `chromium` headless with a fresh profile and connects to its DevTools websocket.
    pub fn launch(executable: &str, timeout: Duration) -> BrowserResult<Browser> {
        let profile = std::env::temp_dir().join(format!(
            "dqmsquare-robber-{}-{}",
            std::process::id(),
            PROFILE_COUNTER.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&profile).map_err(|e| BrowserError::Crashed(format!("profile dir: {e}")))?;
        let mut command = Command::new(executable);
        command
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--no-first-run",
                "--remote-debugging-port=0",
                "--remote-allow-origins=*",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .process_group(0);
        // SAFETY: prctl is async-signal-safe; if the robber dies by SIGKILL the browser gets SIGKILL too.
        unsafe {
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let mut child = command
            .spawn()
            .map_err(|e| BrowserError::Crashed(format!("starting {executable}: {e}")))?;
        BROWSER_GROUP.store(child.id() as i32, Ordering::SeqCst);
        let socket = match connect(&mut child, timeout) {
            Ok(socket) => socket,
            Err(e) => {
                kill_group(&mut child);
                let _ = std::fs::remove_dir_all(&profile);
                return Err(e);
            }
        };
        Ok(Browser { child, socket, next_id: 0, timeout, profile })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends one command (to a tab when `session` is given) and waits for its answer, skipping events.
    pub fn call(&mut self, session: Option<&str>, method: &str, params: Value) -> BrowserResult<Value> {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({"id": id, "method": method, "params": params});
        if let Some(session) = session {
            message["sessionId"] = session.into();
        }
        self.socket
            .send(Message::text(message.to_string()))
            .map_err(|e| BrowserError::Crashed(format!("sending {method}: {e}")))?;
        let deadline = Instant::now() + self.timeout;
        loop {
            if Instant::now() > deadline {
                return Err(BrowserError::Hung(format!("{method} unanswered after {:?}", self.timeout)));
            }
            let text = match self.socket.read() {
                Ok(Message::Text(text)) => text,
                Ok(_) => continue,
                Err(tungstenite::Error::Io(e))
                    if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) =>
                {
                    if let Ok(Some(status)) = self.child.try_wait() {
                        return Err(BrowserError::Crashed(format!("exited with {status}")));
                    }
                    continue;
                }
                Err(e) => return Err(BrowserError::Crashed(format!("reading {method}: {e}"))),
            };
            let Ok(answer) = serde_json::from_str::<Value>(&text) else { continue };
            if answer["id"].as_u64() != Some(id) {
                continue;
            }
            if let Some(error) = answer.get("error") {
                return Err(BrowserError::Protocol(format!("{method}: {error}")));
            }
            return Ok(answer["result"].clone());
        }
    }

    /// Opens a tab and attaches a flattened session to it.
    pub fn open_tab(&mut self) -> BrowserResult<String> {
        let target = self.call(None, "Target.createTarget", json!({"url": "about:blank"}))?;
        let target_id = target["targetId"].as_str().unwrap_or_default().to_owned();
        let attached = self.call(None, "Target.attachToTarget", json!({"targetId": target_id, "flatten": true}))?;
        attached["sessionId"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| BrowserError::Protocol("attachToTarget gave no session".into()))
    }

    /// Evaluates `expression` in the tab (awaiting a promise) and returns its JSON value.
    pub fn evaluate(&mut self, session: &str, expression: &str) -> BrowserResult<Value> {
        let result = self.call(
            Some(session),
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true, "awaitPromise": true}),
        )?;
        if let Some(exception) = result.get("exceptionDetails") {
            let text = exception["exception"]["description"].as_str().unwrap_or("script threw");
            return Err(BrowserError::Protocol(text.to_owned()));
        }
        Ok(result["result"]["value"].clone())
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.socket.close(None);
        kill_group(&mut self.child);
        BROWSER_GROUP.store(0, Ordering::SeqCst);
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// How long the killed group's other processes get to finish dying.
const GROUP_EXIT_WAIT: Duration = Duration::from_secs(5);

/// Kills the browser and everything it started (renderers, zygotes), reaps it, and waits until the rest
/// of its group has exited too: SIGKILL is delivered asynchronously, and the renderers are not our
/// children, so without the wait one could still be running when the robber moves on or exits.
fn kill_group(child: &mut Child) {
    let group = child.id() as i32;
    // SAFETY: plain kill(2) on the group we created with process_group(0).
    unsafe {
        libc::kill(-group, libc::SIGKILL);
    }
    let _ = child.wait();
    let deadline = Instant::now() + GROUP_EXIT_WAIT;
    while group_has_live_process(group) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Whether a process of group `group` still runs (zombies do not count: they have exited).
fn group_has_live_process(group: i32) -> bool {
    let Ok(entries) = std::fs::read_dir("/proc") else { return false };
    entries.filter_map(Result::ok).any(|entry| {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else { return false };
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        // After the `(comm)` field: state, ppid, pgrp.
        let mut fields = stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace()).into_iter().flatten();
        let (state, _ppid, pgrp) = (fields.next(), fields.next(), fields.next());
        state.is_some_and(|s| s != "Z" && s != "X") && pgrp.and_then(|g| g.parse::<i32>().ok()) == Some(group)
    })
}

/// Reads "DevTools listening on ws://…" from Chromium's stderr and opens the browser websocket.
fn connect(child: &mut Child, timeout: Duration) -> BrowserResult<WebSocket<TcpStream>> {
    let stderr = child.stderr.take().ok_or_else(|| BrowserError::Crashed("no stderr".into()))?;
    let (sender, receiver) = mpsc::channel();
    // Keeps draining stderr for the browser's lifetime so it never blocks on a full pipe.
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(at) = line.find("ws://") {
                let _ = sender.send(line[at..].trim().to_owned());
            }
        }
    });
    let url = receiver
        .recv_timeout(timeout)
        .map_err(|_| BrowserError::Hung("no DevTools address on stderr".into()))?;
    let address = url
        .trim_start_matches("ws://")
        .split('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    let stream = TcpStream::connect(&address).map_err(|e| BrowserError::Crashed(format!("connecting {address}: {e}")))?;
    let _ = stream.set_read_timeout(Some(timeout));
    let _ = stream.set_nodelay(true);
    let (socket, _) = tungstenite::client(url.as_str(), stream)
        .map_err(|e| BrowserError::Crashed(format!("websocket handshake: {e}")))?;
    // Short reads from now on, so a hung or dead browser is noticed by the per-call deadline.
    let _ = socket.get_ref().set_read_timeout(Some(Duration::from_millis(250)));
    Ok(socket)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_group_check_sees_processes_that_are_not_our_children_until_they_are_killed() {
        // The shell's background sleeps stand in for Chromium's renderers: in the group, not our children.
        // (How long a killed renderer takes to exit cannot be staged here; the robber e2e tests count them.)
        let mut child = Command::new("sh")
            .args(["-c", "sleep 30 & sleep 30 & wait"])
            .process_group(0)
            .spawn()
            .expect("sh");
        let group = child.id() as i32;
        let deadline = Instant::now() + Duration::from_secs(5);
        while !group_has_live_process(group) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(group_has_live_process(group));
        kill_group(&mut child);
        assert!(!group_has_live_process(group), "a process of the killed group still runs");
    }
}
