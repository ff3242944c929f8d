//! Redis/Valkey backend with Spin's `key-value-redis` semantics: one keyspace per URL (the label is ignored),
//! `get-keys` is `KEYS *`, `increment` is `INCRBY` (decimal string), CAS is WATCH/GET then MULTI/SET/EXEC.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use kv_api::{CasOutcome, KvResult, KvStore};
use redis::io::tcp::TcpSettings;
use redis::{Client, Commands, Connection, IntoConnectionInfo, Value};

use crate::other;

/// A stuck server fails the request instead of blocking its thread forever.
const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// Idle connections kept for reuse; busier moments open more and close the surplus.
const MAX_IDLE: usize = 16;

/// One Redis URL (one keyspace) with a small pool of reusable connections.
#[derive(Clone)]
pub struct RedisStore {
    inner: Arc<Inner>,
}

struct Inner {
    url: String,
    client: Client,
    idle: Mutex<Vec<Connection>>,
}

impl RedisStore {
    /// Connects to `url` (e.g. `redis://127.0.0.1:6379`) once, so a wrong URL fails at startup.
    pub fn open(url: &str) -> KvResult<Self> {
        // The URL may carry a password: never echo it.
        let bad_url = |e: redis::RedisError| other(format!("invalid redis url: {e}"));
        // Without TCP_NODELAY, MULTI/SET/EXEC round trips can stall on delayed ACKs.
        let info = url.into_connection_info().map_err(bad_url)?.set_tcp_settings(TcpSettings::default().set_nodelay(true));
        let client = Client::open(info).map_err(bad_url)?;
        let store = Self { inner: Arc::new(Inner { url: url.to_owned(), client, idle: Mutex::new(Vec::new()) }) };
        store
            .with_conn(|c| redis::cmd("PING").query::<()>(c))
            .map_err(|e| other(format!("connecting to redis: {e}")))?;
        Ok(store)
    }

    pub fn url(&self) -> &str {
        &self.inner.url
    }

    /// Runs `op` on a pooled connection; a connection that saw an error is closed, not reused.
    fn with_conn<T>(&self, op: impl FnOnce(&mut Connection) -> redis::RedisResult<T>) -> KvResult<T> {
        let pooled = self.inner.idle.lock().map_err(|_| other("redis pool poisoned"))?.pop();
        let mut conn = match pooled {
            Some(conn) => conn,
            None => {
                let conn = self.inner.client.get_connection_with_timeout(IO_TIMEOUT).map_err(other)?;
                conn.set_read_timeout(Some(IO_TIMEOUT)).map_err(other)?;
                conn.set_write_timeout(Some(IO_TIMEOUT)).map_err(other)?;
                conn
            }
        };
        let result = op(&mut conn).map_err(redis_error)?;
        if let Ok(mut idle) = self.inner.idle.lock() {
            if idle.len() < MAX_IDLE {
                idle.push(conn);
            }
        }
        Ok(result)
    }

    /// Every `(key, value)` of the keyspace.
    pub(crate) fn entries(&self) -> KvResult<Vec<(String, Vec<u8>)>> {
        let keys = self.get_keys()?;
        let mut entries = Vec::with_capacity(keys.len());
        for key in keys {
            // A key deleted between KEYS and GET is simply not part of the dump.
            if let Some(value) = self.get(&key)? {
                entries.push((key, value));
            }
        }
        Ok(entries)
    }

    /// Runs any command (e.g. `INFO replication`) and flattens the reply as Spin's outbound Redis `execute`
    /// does: nested arrays, sets and maps become one list of plain results.
    pub fn execute(&self, command: &str, args: &[RedisArg]) -> KvResult<Vec<RedisReply>> {
        let mut cmd = redis::cmd(command);
        for arg in args {
            match arg {
                RedisArg::Int(v) => cmd.arg(*v),
                RedisArg::Binary(v) => cmd.arg(v.as_slice()),
            };
        }
        let value: Value = self.with_conn(|c| cmd.query(c))?;
        let mut replies = Vec::new();
        flatten(value, &mut replies);
        Ok(replies)
    }

    /// Sets every entry inside one MULTI/EXEC: the server applies all of them or, if the connection fails
    /// before EXEC, none.
    pub(crate) fn write_all(&self, entries: &[(&str, &[u8])]) -> KvResult<()> {
        let mut pipe = redis::pipe();
        pipe.atomic();
        for (key, value) in entries {
            pipe.set(*key, *value).ignore();
        }
        self.with_conn(|c| pipe.query::<()>(c))
    }
}

/// A replica (`replicaof`) refuses writes with `READONLY` (also inside an aborted MULTI/EXEC): that is
/// our read-only error, so an ingest against a replica exits 3 like one against `--read-only`.
fn redis_error(err: redis::RedisError) -> kv_api::KvError {
    if err.code() == Some("READONLY") || err.to_string().contains("READONLY") {
        kv_api::KvError::ReadOnly
    } else {
        other(err)
    }
}

/// An argument of [`RedisStore::execute`] (Spin's `redis-parameter`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedisArg {
    Int(i64),
    Binary(Vec<u8>),
}

/// One result of [`RedisStore::execute`] (Spin's `redis-result`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedisReply {
    Nil,
    Status(String),
    Int(i64),
    Binary(Vec<u8>),
}

fn flatten(value: Value, out: &mut Vec<RedisReply>) {
    match value {
        Value::Nil => out.push(RedisReply::Nil),
        Value::Int(v) => out.push(RedisReply::Int(v)),
        Value::Boolean(b) => out.push(RedisReply::Int(i64::from(b))),
        Value::BulkString(bytes) => out.push(RedisReply::Binary(bytes)),
        Value::SimpleString(text) => out.push(RedisReply::Status(text)),
        Value::Okay => out.push(RedisReply::Status("OK".into())),
        Value::Double(v) => out.push(RedisReply::Binary(v.to_string().into_bytes())),
        Value::VerbatimString { text, .. } => out.push(RedisReply::Binary(text.into_bytes())),
        Value::Array(items) | Value::Set(items) | Value::Push { data: items, .. } => {
            items.into_iter().for_each(|v| flatten(v, out))
        }
        Value::Map(pairs) => pairs.into_iter().for_each(|(k, v)| {
            flatten(k, out);
            flatten(v, out);
        }),
        Value::Attribute { data, .. } => flatten(*data, out),
        // Big numbers (and server errors, which `query` already turns into `Err`): their text.
        other => out.push(RedisReply::Binary(format!("{other:?}").into_bytes())),
    }
}

impl KvStore for RedisStore {
    fn get(&self, key: &str) -> KvResult<Option<Vec<u8>>> {
        self.with_conn(|c| c.get(key))
    }

    /// One `MGET`: one round trip for the whole batch.
    fn get_many(&self, keys: &[&str]) -> KvResult<Vec<Option<Vec<u8>>>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        self.with_conn(|c| redis::cmd("MGET").arg(keys).query(c))
    }

    fn set(&self, key: &str, value: &[u8]) -> KvResult<()> {
        self.with_conn(|c| c.set(key, value))
    }

    fn delete(&self, key: &str) -> KvResult<()> {
        self.with_conn(|c| c.del(key))
    }

    fn exists(&self, key: &str) -> KvResult<bool> {
        self.with_conn(|c| c.exists(key))
    }

    fn get_keys(&self) -> KvResult<Vec<String>> {
        self.with_conn(|c| c.keys("*"))
    }

    fn increment(&self, key: &str, delta: i64) -> KvResult<i64> {
        self.with_conn(|c| c.incr(key, delta))
    }

    fn compare_and_swap(&self, key: &str, expected: Option<&[u8]>, new: &[u8]) -> KvResult<CasOutcome> {
        self.with_conn(|c| {
            redis::cmd("WATCH").arg(key).query::<()>(c)?;
            let current: Option<Vec<u8>> = c.get(key)?;
            if current.as_deref() != expected {
                redis::cmd("UNWATCH").query::<()>(c)?;
                return Ok(CasOutcome::Conflict);
            }
            // EXEC answers nil when a watched key changed after WATCH: another writer won.
            let exec: Value = redis::pipe().atomic().set(key, new).ignore().query(c)?;
            Ok(if matches!(exec, Value::Nil) { CasOutcome::Conflict } else { CasOutcome::Swapped })
        })
    }
}
