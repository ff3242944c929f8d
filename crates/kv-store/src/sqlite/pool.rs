//! A small blocking pool of SQLite connections to one database.

use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex, MutexGuard};

use kv_api::{KvError, KvResult};
use rusqlite::Connection;

use super::connect;
use crate::other;

/// Connections writers may never take, so that reads (which the gateway runs on its async workers) never
/// wait behind writers stuck on another process's write lock.
const READER_RESERVE: usize = 2;

/// What a connection is checked out for.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Use {
    Read,
    Write,
}

/// Idle connections plus a cap on how many are open; checkouts wait when all are in use (writers when all
/// but [`READER_RESERVE`] are).
pub(super) struct Pool {
    path: Option<PathBuf>,
    max: usize,
    state: Mutex<PoolState>,
    returned: Condvar,
}

struct PoolState {
    idle: Vec<Connection>,
    open: usize,
    writers: usize,
    /// Checkouts blocked in `wait`: a return wakes them only when there are any (a notify is a syscall).
    waiting: usize,
}

impl Pool {
    /// A pool of at most `max` connections to `path` (in-memory when `None`), starting with `first`.
    pub(super) fn new(path: Option<PathBuf>, max: usize, first: Connection) -> Self {
        let state = PoolState { idle: vec![first], open: 1, writers: 0, waiting: 0 };
        Pool { path, max, state: Mutex::new(state), returned: Condvar::new() }
    }

    pub(super) fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Takes an idle connection, opens one while under the cap, or waits for one to come back.
    pub(super) fn checkout(&self, purpose: Use) -> KvResult<Pooled<'_>> {
        let mut state = self.lock()?;
        loop {
            let writers_full = purpose == Use::Write && self.max > READER_RESERVE && state.writers >= self.max - READER_RESERVE;
            if !writers_full {
                let write = purpose == Use::Write;
                if let Some(conn) = state.idle.pop() {
                    state.writers += write as usize;
                    return Ok(Pooled { pool: self, conn: Some(conn), write });
                }
                if state.open < self.max {
                    state.open += 1;
                    state.writers += write as usize;
                    drop(state);
                    return match connect(self.path.as_deref()) {
                        Ok(conn) => Ok(Pooled { pool: self, conn: Some(conn), write }),
                        Err(e) => {
                            let mut state = self.lock()?;
                            state.open -= 1;
                            state.writers -= write as usize;
                            self.wake_waiters(&state);
                            Err(e)
                        }
                    };
                }
            }
            state.waiting += 1;
            state = self.returned.wait(state).map_err(|_| poisoned())?;
            state.waiting -= 1;
        }
    }

    /// Waiting readers and writers wait for different things: wake them all to re-check.
    fn wake_waiters(&self, state: &PoolState) {
        if state.waiting > 0 {
            self.returned.notify_all();
        }
    }

    fn lock(&self) -> KvResult<MutexGuard<'_, PoolState>> {
        self.state.lock().map_err(|_| poisoned())
    }
}

fn poisoned() -> KvError {
    other("SQLite connection pool poisoned")
}

/// A checked-out connection; goes back to the pool on drop.
pub(super) struct Pooled<'a> {
    pool: &'a Pool,
    conn: Option<Connection>,
    write: bool,
}

impl Deref for Pooled<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.conn.as_ref().expect("connection present until drop")
    }
}

impl DerefMut for Pooled<'_> {
    fn deref_mut(&mut self) -> &mut Connection {
        self.conn.as_mut().expect("connection present until drop")
    }
}

impl Drop for Pooled<'_> {
    fn drop(&mut self) {
        if let (Some(conn), Ok(mut state)) = (self.conn.take(), self.pool.state.lock()) {
            state.idle.push(conn);
            state.writers -= self.write as usize;
            self.pool.wake_waiters(&state);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writers_leave_connections_for_readers() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kv.db");
        let pool = Pool::new(Some(path.clone()), 4, connect(Some(&path)).unwrap());
        let writers: Vec<Pooled> = (0..2).map(|_| pool.checkout(Use::Write).unwrap()).collect();
        assert_eq!(pool.lock().unwrap().writers, 2);
        // Every write slot is taken, yet both reserved connections are there for readers.
        let readers: Vec<Pooled> = (0..2).map(|_| pool.checkout(Use::Read).unwrap()).collect();
        drop(writers);
        assert_eq!(pool.lock().unwrap().writers, 0);
        let _writer = pool.checkout(Use::Write).unwrap();
        drop(readers);
        assert_eq!(pool.lock().unwrap().idle.len(), 3);
    }
}
