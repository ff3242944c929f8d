//! The key layout: every key the Run Registry reads or writes is built here and nowhere else.
//!
//! | key | value |
//! |---|---|
//! | `rr/counter/version` | i64 counter (`increment`): the last `atomic_version` handed out |
//! | `rr/counter/event` | i64 counter: the last event `version` handed out (a writer takes a block of n at once) |
//! | `rr/counter/job` | i64 counter: the last json_portal job / GeneratedJson id |
//! | `rr/version/<atomic_version:012>` | [`crate::model::Version`] JSON: who, when, comment, its event ids |
//! | `rr/event/<version:012>` | [`crate::model::Event`] JSON (immutable) |
//! | `rr/log/<entity>/n`, `rr/log/<entity>/<slot:08>` | append-only slot log of the event ids of one entity (see [`crate::log`]) |
//! | `rr/index/runs/…`, `rr/index/datasets/…` | slot logs of every run number / every `run\tname` ever created |
//! | `rr/index/run-datasets/<run>/…` | slot log of the dataset names of one run |
//! | `rr/run/<run>` | materialised [`crate::state::RunState`] (rewritten with compare-and-swap) |
//! | `rr/dataset/<run>/<name>` | materialised [`crate::state::DatasetState`]: LS as ranges per component / bit |
//! | `rr/cache/<run>/<name>` | the triplet cache (§2.4) of that dataset: small, read by listings |
//! | `rr/job/<id>` | json_portal job record; `rr/generated/<id>` its complete GeneratedJson row |
//!
//! `<entity>` is `run/<run>`, `dataset/<run>/<name>`, `rrls/<run>/<name>` or `omsls/<run>/<name>`.
//! Dataset names are stored verbatim (they contain `/`); keys stay far below Spin's 255-byte limit.

use crate::model::Target;

pub const VERSION_COUNTER: &str = "rr/counter/version";
pub const EVENT_COUNTER: &str = "rr/counter/event";
pub const JOB_COUNTER: &str = "rr/counter/job";
pub const RUN_INDEX: &str = "rr/index/runs";
pub const DATASET_INDEX: &str = "rr/index/datasets";

pub fn version(atomic_version: i64) -> String {
    format!("rr/version/{atomic_version:012}")
}

pub fn event(version: i64) -> String {
    format!("rr/event/{version:012}")
}

/// The slot-log prefix holding the event ids of one entity.
pub fn entity_log(target: Target, run_number: u64, name: &str) -> String {
    match target {
        Target::Run => format!("rr/log/run/{run_number}"),
        Target::Dataset => format!("rr/log/dataset/{run_number}/{name}"),
        Target::RrLs => format!("rr/log/rrls/{run_number}/{name}"),
        Target::OmsLs => format!("rr/log/omsls/{run_number}/{name}"),
    }
}

pub fn run_datasets_index(run_number: u64) -> String {
    format!("rr/index/run-datasets/{run_number}")
}

pub fn run(run_number: u64) -> String {
    format!("rr/run/{run_number}")
}

pub fn dataset(run_number: u64, name: &str) -> String {
    format!("rr/dataset/{run_number}/{name}")
}

pub fn cache(run_number: u64, name: &str) -> String {
    format!("rr/cache/{run_number}/{name}")
}

pub fn job(id: i64) -> String {
    format!("rr/job/{id}")
}

pub fn generated(id: i64) -> String {
    format!("rr/generated/{id}")
}

/// The counter key of a slot log.
pub fn log_counter(prefix: &str) -> String {
    format!("{prefix}/n")
}

/// One slot of a slot log (1-based).
pub fn log_slot(prefix: &str, slot: i64) -> String {
    format!("{prefix}/{slot:08}")
}
