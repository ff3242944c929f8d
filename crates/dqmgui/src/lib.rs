//! The DQM GUI API over the shared key-value store: KV schema, eager import, samples, archive, layouts, ROOT-JSON.
//!
//! Components are thin adapters: they build a [`Service`] and call one handler of [`routes`]. Everything is
//! tested natively over `kv_api::MemoryStore`. The store layout (keys, values, how concurrent writers stay
//! safe without transactions) is documented in [`schema`].

pub mod archive;
#[cfg(feature = "spin")]
pub mod component;
pub mod layouts;
pub mod melist;
pub mod objects;
#[cfg(feature = "render")]
pub mod plot;
pub mod pyjson;
pub mod query;
pub mod register;
pub mod routes;
pub mod schema;

pub use register::DataRoot;
pub use routes::{handle, Service, DEFAULT_HOST};
