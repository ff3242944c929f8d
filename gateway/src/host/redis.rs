//! `fermyon:spin/redis@2.0.0`, Spin's outbound Redis: a connection only to an address the component's
//! `allowed_outbound_hosts` allows (Spin answers `invalid-address` otherwise), every call one command on
//! `kv_store::RedisStore`, run on the blocking pool. The NectarCAM viewer uses it for `INFO replication`.

wasmtime::component::bindgen!({
    path: "../wit/spin-redis",
    world: "fermyon:spin/redis-host",
    imports: { default: async | trappable },
    with: { "fermyon:spin/redis.connection": RedisConnection },
});

use kv_store::{RedisArg, RedisReply, RedisStore};
use wasmtime::component::{HasSelf, Linker, Resource};

use self::fermyon::spin::redis::{Error, Host, HostConnection, RedisParameter, RedisResult};
use super::HostState;

/// A connection the guest holds: the server's pooled client.
pub struct RedisConnection {
    store: RedisStore,
}

pub fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    fermyon::spin::redis::add_to_linker::<_, HasSelf<HostState>>(linker, |s| s)
}

/// Runs `command` on the blocking pool; server and connection errors become `other` with their text.
async fn execute(store: RedisStore, command: &str, args: Vec<RedisArg>) -> Result<Vec<RedisReply>, Error> {
    let command = command.to_owned();
    tokio::task::spawn_blocking(move || store.execute(&command, &args))
        .await
        .map_err(|join| Error::Other(format!("redis call failed: {join}")))?
        .map_err(|err| {
            let message = err.to_string();
            if message.contains("WRONGTYPE") {
                Error::TypeError
            } else {
                Error::Other(message)
            }
        })
}

fn binary(bytes: impl Into<Vec<u8>>) -> RedisArg {
    RedisArg::Binary(bytes.into())
}

/// The single integer a counting command answers.
fn integer(replies: &[RedisReply]) -> Result<i64, Error> {
    match replies {
        [RedisReply::Int(n)] => Ok(*n),
        _ => Err(Error::TypeError),
    }
}

fn count(replies: &[RedisReply]) -> Result<u32, Error> {
    u32::try_from(integer(replies)?).map_err(|_| Error::TypeError)
}

impl HostState {
    fn redis(&self, handle: &Resource<RedisConnection>) -> wasmtime::Result<RedisStore> {
        Ok(self.table.get(handle)?.store.clone())
    }

    async fn redis_call(
        &mut self,
        handle: &Resource<RedisConnection>,
        command: &str,
        args: Vec<RedisArg>,
    ) -> wasmtime::Result<Result<Vec<RedisReply>, Error>> {
        let store = self.redis(handle)?;
        Ok(execute(store, command, args).await)
    }
}

impl Host for HostState {}

impl HostConnection for HostState {
    async fn open(&mut self, address: String) -> wasmtime::Result<Result<Resource<RedisConnection>, Error>> {
        if !self.component.outbound.allows_url(&address) {
            eprintln!(
                "A component tried to make an outbound network connection to disallowed destination '{address}'. \
                 (component {}: add it to allowed_outbound_hosts)",
                self.component.id
            );
            return Ok(Err(Error::InvalidAddress));
        }
        let opened = tokio::task::spawn_blocking(move || RedisStore::open(&address)).await;
        match opened {
            Ok(Ok(store)) => Ok(Ok(self.table.push(RedisConnection { store })?)),
            Ok(Err(err)) => Ok(Err(Error::Other(err.to_string()))),
            Err(join) => Ok(Err(Error::Other(format!("redis connect failed: {join}")))),
        }
    }

    async fn publish(&mut self, h: Resource<RedisConnection>, channel: String, payload: Vec<u8>) -> wasmtime::Result<Result<(), Error>> {
        Ok(self.redis_call(&h, "PUBLISH", vec![binary(channel), binary(payload)]).await?.map(drop))
    }

    async fn get(&mut self, h: Resource<RedisConnection>, key: String) -> wasmtime::Result<Result<Option<Vec<u8>>, Error>> {
        let replies = self.redis_call(&h, "GET", vec![binary(key)]).await?;
        Ok(replies.and_then(|r| match r.as_slice() {
            [RedisReply::Nil] => Ok(None),
            [RedisReply::Binary(value)] => Ok(Some(value.clone())),
            _ => Err(Error::TypeError),
        }))
    }

    async fn set(&mut self, h: Resource<RedisConnection>, key: String, value: Vec<u8>) -> wasmtime::Result<Result<(), Error>> {
        Ok(self.redis_call(&h, "SET", vec![binary(key), binary(value)]).await?.map(drop))
    }

    async fn incr(&mut self, h: Resource<RedisConnection>, key: String) -> wasmtime::Result<Result<i64, Error>> {
        Ok(self.redis_call(&h, "INCR", vec![binary(key)]).await?.and_then(|r| integer(&r)))
    }

    async fn del(&mut self, h: Resource<RedisConnection>, keys: Vec<String>) -> wasmtime::Result<Result<u32, Error>> {
        let args = keys.into_iter().map(binary).collect();
        Ok(self.redis_call(&h, "DEL", args).await?.and_then(|r| count(&r)))
    }

    async fn sadd(&mut self, h: Resource<RedisConnection>, key: String, values: Vec<String>) -> wasmtime::Result<Result<u32, Error>> {
        let args = std::iter::once(key).chain(values).map(binary).collect();
        Ok(self.redis_call(&h, "SADD", args).await?.and_then(|r| count(&r)))
    }

    async fn smembers(&mut self, h: Resource<RedisConnection>, key: String) -> wasmtime::Result<Result<Vec<String>, Error>> {
        let replies = self.redis_call(&h, "SMEMBERS", vec![binary(key)]).await?;
        Ok(replies.and_then(|r| {
            r.into_iter()
                .map(|reply| match reply {
                    RedisReply::Binary(bytes) => String::from_utf8(bytes).map_err(|_| Error::TypeError),
                    RedisReply::Status(text) => Ok(text),
                    _ => Err(Error::TypeError),
                })
                .collect()
        }))
    }

    async fn srem(&mut self, h: Resource<RedisConnection>, key: String, values: Vec<String>) -> wasmtime::Result<Result<u32, Error>> {
        let args = std::iter::once(key).chain(values).map(binary).collect();
        Ok(self.redis_call(&h, "SREM", args).await?.and_then(|r| count(&r)))
    }

    async fn execute(
        &mut self,
        h: Resource<RedisConnection>,
        command: String,
        arguments: Vec<RedisParameter>,
    ) -> wasmtime::Result<Result<Vec<RedisResult>, Error>> {
        let args = arguments
            .into_iter()
            .map(|a| match a {
                RedisParameter::Int64(v) => RedisArg::Int(v),
                RedisParameter::Binary(v) => RedisArg::Binary(v),
            })
            .collect();
        let replies = self.redis_call(&h, &command, args).await?;
        Ok(replies.map(|r| {
            r.into_iter()
                .map(|reply| match reply {
                    RedisReply::Nil => RedisResult::Nil,
                    RedisReply::Status(s) => RedisResult::Status(s),
                    RedisReply::Int(v) => RedisResult::Int64(v),
                    RedisReply::Binary(v) => RedisResult::Binary(v),
                })
                .collect()
        }))
    }

    async fn drop(&mut self, handle: Resource<RedisConnection>) -> wasmtime::Result<()> {
        self.table.delete(handle)?;
        Ok(())
    }
}
