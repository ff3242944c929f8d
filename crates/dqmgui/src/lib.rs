//! The DQM GUI API over the shared key-value store: KV schema, eager import, samples, archive, layouts, ROOT-JSON.
//!
//! Components are thin adapters: they build a [`Service`] and call one handler of [`routes`]. Everything is
//! tested natively over `kv_api::MemoryStore`. The store layout (keys, values, how concurrent writers stay
//! safe without transactions) is documented in [`schema`].
//!
//! | component | handler | routes |
//! |---|---|---|
//! | `dqmgui-register` | [`routes::register`] | `POST /api/v1/register` (bearer `admin_token`; files under `/data`; at most `import_concurrency` at once over the store, [`slots`]) |
//! | `dqmgui-samples` | [`routes::catalog`] | `/api/v1/samples`, `datasets`, `latest_runs`, `host`, `lumis/...` |
//! | `dqmgui-archive` | [`routes::archive`] | `/api/v1/archive/...` |
//! | `dqmgui-layouts` | [`routes::layouts`] | `GET /api/v1/layouts?name=`, `POST /api/v1/layouts` (bearer; reads `/layouts`) |
//! | `dqmgui-json` | [`routes::json_routes`] | `/api/v1/json/...`, `/api/v1/json_overlay` (reads `/data`) |
//! | `dqmgui-render` | [`render_routes::render_routes`] | `/api/v1/render/...`, `/api/v1/render_overlay`, `/plotfairy/...` (reads `/data`; feature `render`) |
//! | `dqmgui-legacy` | [`routes::legacy`] | `/data/json/...`, `/jsrootfairy/...` (reads `/data`) |

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
#[cfg(feature = "render")]
pub mod render_routes;
pub mod routes;
pub mod schema;
pub mod settings;
pub mod slots;

pub use register::DataRoot;
pub use routes::{handle, Service, DEFAULT_HOST};
pub use settings::Settings;
