//! A small blocking pool of SQLite connections to one database.

use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex, MutexGuard};

use kv_api::{KvError, KvResult};
use rusqlite::Connection;

use super::connect;
use crate::other;

/// Idle connections plus a cap on how many are open; checkouts wait when all are in use.
pub(super) struct Pool {
    path: Option<PathBuf>,
    max: usize,
    state: Mutex<PoolState>,
    returned: Condvar,
}

struct PoolState {
    idle: Vec<Connection>,
    open: usize,
}

impl Pool {
    /// A pool of at most `max` connections to `path` (in-memory when `None`), starting with `first`.
    pub(super) fn new(path: Option<PathBuf>, max: usize, first: Connection) -> Self {
        let state = PoolState { idle: vec![first], open: 1 };
        Pool { path, max, state: Mutex::new(state), returned: Condvar::new() }
    }

    pub(super) fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Takes an idle connection, opens one while under the cap, or waits for one to come back.
    pub(super) fn checkout(&self) -> KvResult<Pooled<'_>> {
        let mut state = self.lock()?;
        loop {
            if let Some(conn) = state.idle.pop() {
                return Ok(Pooled { pool: self, conn: Some(conn) });
            }
            if state.open < self.max {
                state.open += 1;
                drop(state);
                return match connect(self.path.as_deref()) {
                    Ok(conn) => Ok(Pooled { pool: self, conn: Some(conn) }),
                    Err(e) => {
                        self.lock()?.open -= 1;
                        self.returned.notify_one();
                        Err(e)
                    }
                };
            }
            state = self.returned.wait(state).map_err(|_| poisoned())?;
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
            self.pool.returned.notify_one();
        }
    }
}

