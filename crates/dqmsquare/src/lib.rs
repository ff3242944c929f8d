//! DQM² Mirror: the store layout, the fff_dqmtools grabber logic, the mirror API and its pages, over kv-api.
//!
//! The grabber (in scraper-host), the robber and the mirror component are thin adapters over this crate:
//! - [`store`]: the logical `runs`, `graphs`, `meta`, `hostnames`, `hoststatuses` tables as key layouts
//!   ([`rowindex`]: the per-run index the hot routes read in place);
//! - [`mapping`]: fff_dqmtools documents (and what the robber scrapes) onto those tables;
//! - [`protocol`] and [`grabber`]: the sync protocol and the info and status loops over a [`grabber::SyncTransport`];
//! - [`api`]: the mirror's routes (`/dqm/dqm-square/…`) as `Request → Reply`; [`pages`]: the runs and timeline pages;
//! - [`cr`]: the control room (login, signed sessions, CSRF, `cr/exe` forwarded to fff_dqmtools).

pub mod api;
pub mod cr;
pub mod fake;
pub mod grabber;
pub mod mapping;
pub mod model;
pub mod pages;
pub mod protocol;
pub mod pyjson;
pub mod rowindex;
pub mod seed;
pub mod store;
pub mod time;

/// The two clusters; each has its own tables (the original's one database per mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Db {
    Playback,
    Production,
}

impl Db {
    pub const ALL: [Db; 2] = [Db::Playback, Db::Production];

    pub fn name(self) -> &'static str {
        match self {
            Db::Playback => "playback",
            Db::Production => "production",
        }
    }

    pub fn parse(name: &str) -> Option<Db> {
        Db::ALL.into_iter().find(|db| db.name() == name)
    }
}

/// `FFF_PLAYBACK_MACHINES`' default (spec §9).
pub const DEFAULT_PLAYBACK_MACHINES: &str =
    "dqmrubu-c2a06-03-01;dqmfu-c2b01-45-01;dqmfu-c2b02-45-01";
/// `FFF_PRODUCTION_MACHINES`' default (spec §9).
pub const DEFAULT_PRODUCTION_MACHINES: &str =
    "dqmrubu-c2a06-01-01;dqmfu-c2b03-45-01;dqmfu-c2b04-45-01";

/// A `;`-separated machine list, blanks dropped.
pub fn machine_list(text: &str) -> Vec<String> {
    text.split(';')
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .map(str::to_owned)
        .collect()
}
