//! Runs one request in a fresh instance of a pre-instantiated component, with the timeout and memory limits.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use kv_store::StoreManager;
use tokio::sync::Semaphore;
use wasmtime::{Engine, Store, UpdateDeadline};
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;
use wasmtime_wasi_http::WasiHttpView;

use crate::host::{ComponentConfig, HostState};
use crate::server::Limits;

/// One component, ready to instantiate.
pub struct Prepared {
    pub pre: ProxyPre<HostState>,
    pub config: Arc<ComponentConfig>,
}

/// Every component of the app plus the stores they share.
pub struct Runner {
    pub engine: Engine,
    pub components: BTreeMap<String, Prepared>,
    pub stores: Arc<StoreManager>,
    /// One permit per pooled instance slot: past that, requests queue instead of failing to instantiate.
    pub slots: Arc<Semaphore>,
}

/// Why a request got no response from its component: `message` goes to the client, `detail` is logged.
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub detail: String,
}

impl Failure {
    fn new(message: impl Into<String>, detail: impl std::fmt::Display) -> Self {
        Self { message: message.into(), detail: detail.to_string() }
    }
}

impl Runner {
    pub async fn run(&self, id: &str, req: Request<Full<Bytes>>, limits: &Limits) -> Result<Response<HyperOutgoingBody>, Failure> {
        let Some(prepared) = self.components.get(id) else {
            return Err(Failure::new("no such component", format!("no such component {id:?}")));
        };
        let slot = self.slots.clone().acquire_owned().await.map_err(|e| Failure::new("gateway is shutting down", e))?;
        let state = HostState::new(prepared.config.clone(), self.stores.clone(), limits.max_instance_memory).map_err(|e| {
            // The client gets only the message, so the cause (say, a files mount that vanished) is logged here.
            eprintln!("Error processing request for component {id}: setting up the instance: {e:#}");
            Failure::new("could not set up the component", format!("{e:#}"))
        })?;
        let mut store = Store::new(&self.engine, state);
        store.limiter(|state| &mut state.memory);
        let deadline = Instant::now() + limits.request_timeout;
        // Every tick the guest yields to the executor, so a busy guest never starves other requests; past the
        // deadline it traps.
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(move |_| {
            if Instant::now() >= deadline {
                wasmtime::bail!("request timed out");
            }
            Ok(UpdateDeadline::Yield(1))
        });

        let (sender, receiver) = tokio::sync::oneshot::channel();
        let setup = (|| -> wasmtime::Result<_> {
            let req = req.map(|body| body.map_err(|never: std::convert::Infallible| -> wasmtime_wasi_http::Error { match never {} }));
            let incoming = store.data_mut().http().new_incoming_request(Scheme::Http, req)?;
            let outparam = store.data_mut().http().new_response_outparam(sender)?;
            Ok((incoming, outparam))
        })();
        let (incoming, outparam) = setup.map_err(|e| Failure::new("could not pass the request to the component", e))?;
        let pre = prepared.pre.clone();
        let timeout = limits.request_timeout;
        let max_memory = limits.max_instance_memory;
        let mut guest = Box::pin(async move {
            let _slot = slot;
            let result = async {
                let proxy = pre.instantiate_async(&mut store).await?;
                proxy.wasi_http_incoming_handler().call_handle(&mut store, incoming, outparam).await
            }
            .await;
            // Logged here, because after the response head nobody else sees the error (Spin logs it too).
            result.map_err(|err| {
                let failure = describe(err, store.data().memory.exceeded, deadline, timeout, max_memory);
                eprintln!("Error processing request for component {}: {}", store.data().component.id, failure.detail);
                failure
            })
        });

        // The guest runs inside this request's own future: most handlers finish (their whole body buffered)
        // before they are first awaited on, so spawning a task and waking this one through the channel would
        // only add two cross-thread hops. A guest still streaming its body when the head arrives moves to
        // its own task, which keeps writing the body after we return.
        let mut receiver = receiver;
        let mut guest_result = None;
        let head = tokio::time::timeout_at(deadline.into(), async {
            tokio::select! {
                biased;
                head = &mut receiver => head,
                result = &mut guest => {
                    guest_result = Some(result);
                    (&mut receiver).await
                }
            }
        })
        .await;
        match head {
            // The guest dropped the outparam: it trapped, or returned without answering.
            // (It may still be running; the epoch deadline ends it at the latest.)
            Ok(Err(_)) => {
                let result = match guest_result {
                    Some(result) => result,
                    None => guest.await,
                };
                Err(result.err().unwrap_or_else(|| Failure::new(NO_RESPONSE, NO_RESPONSE)))
            }
            Ok(Ok(head)) => {
                if guest_result.is_none() {
                    // It keeps streaming the body; a failure from here on truncates it.
                    tokio::spawn(guest);
                }
                match head {
                    Ok(response) => Ok(response),
                    Err(code) => Err(Failure::new(format!("component returned an error: {code:?}"), format!("{code:?}"))),
                }
            }
            Err(_) => {
                drop(guest);
                eprintln!("Error processing request for component {id}: no response head before the deadline");
                Err(Failure::new(timed_out(timeout), "no response head before the deadline"))
            }
        }
    }
}

const NO_RESPONSE: &str = "guest failed to produce a response prior to returning";

fn timed_out(timeout: Duration) -> String {
    format!("request timed out after {} ms", timeout.as_millis())
}

fn describe(err: wasmtime::Error, memory_exceeded: bool, deadline: Instant, timeout: Duration, max_memory: usize) -> Failure {
    let detail = format!("{err:?}");
    if memory_exceeded {
        Failure::new(format!("component exceeded its memory limit of {max_memory} bytes"), detail)
    } else if Instant::now() >= deadline {
        Failure::new(timed_out(timeout), detail)
    } else if let Some(trap) = err.downcast_ref::<wasmtime::Trap>() {
        Failure::new(format!("component trapped: {trap}"), detail)
    } else {
        Failure::new(format!("component failed: {}", err.root_cause()), detail)
    }
}
