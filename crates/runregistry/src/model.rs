//! The stored records (versions and events) and the enumerations of the spec (§2.2).

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// Every status an RR lumisection component can have.
pub const STATUSES: &[&str] = &[
    "GOOD",
    "BAD",
    "STANDBY",
    "EXCLUDED",
    "NOTSET",
    "EMPTY",
    "NO VALUE FOUND",
];

/// Run and dataset states.
pub const RUN_STATES: &[&str] = &["OPEN", "SIGNOFF", "COMPLETED"];

/// The dataset state before the dataset appears in the DQM GUI.
pub const WAITING_DQM_GUI: &str = "waiting dqm gui";

/// Components that must be certified on every LS before an online run can be signed off.
pub const CERTIFIABLE_ONLINE: &[&str] = &[
    "castor-castor",
    "cms-cms",
    "csc-csc",
    "ctpps-ctpps",
    "dt-dt",
    "ecal-ecal",
    "ecal-es",
    "hcal-hcal",
    "hlt-hlt",
    "l1t-l1t",
    "l1t-l1tcalo",
    "l1t-l1tmu",
    "lumi-lumi",
    "rpc-rpc",
    "tracker-pixel",
    "tracker-strip",
];

/// Components certified offline.
pub const CERTIFIABLE_OFFLINE: &[&str] = &[
    "btag-btag",
    "castor-castor",
    "cms-cms",
    "csc-csc",
    "ctpps-ctpps",
    "dc-lowlumi",
    "dt-dt",
    "ecal-ecal",
    "ecal-es",
    "egamma-egamma",
    "hcal-hcal",
    "hlt-hlt",
    "jetmet-jetmet",
    "l1t-l1t",
    "l1t-l1tmu",
    "l1t-l1tcalo",
    "lumi-lumi",
    "muon-muon",
    "rpc-rpc",
    "tau-tau",
    "tracker-track",
    "tracker-pixel",
    "tracker-strip",
];

/// The 38 stored OMS lumisection attributes (36 DCS bits, 2 prescale fields).
pub const OMS_LS_ATTRIBUTES: &[&str] = &[
    "rp_time_ready",
    "cscp_ready",
    "physics_flag",
    "dt0_ready",
    "beam1_present",
    "bpix_ready",
    "ho_ready",
    "dtp_ready",
    "tecm_ready",
    "tibtid_ready",
    "fpix_ready",
    "rpc_ready",
    "rp_sect_56_ready",
    "castor_ready",
    "esp_ready",
    "eep_ready",
    "hbhea_ready",
    "ebm_ready",
    "dtm_ready",
    "eem_ready",
    "esm_ready",
    "tecp_ready",
    "ebp_ready",
    "hf_ready",
    "rp_sect_45_ready",
    "cscm_ready",
    "cms_active",
    "zdc_ready",
    "hbheb_ready",
    "tob_ready",
    "beam1_stable",
    "hbhec_ready",
    "beam2_stable",
    "beam2_present",
    "gemp_ready",
    "gemm_ready",
    "prescale_index",
    "prescale_name",
];

/// The luminosity keys of an OMS lumisection.
pub const LUMI_KEYS: &[&str] = &["recorded", "delivered"];

/// Highest lumisection number accepted: bounds every per-LS allocation.
pub const MAX_LUMISECTION: u32 = 100_000;

/// The triplet an RR LS holds for a gap or a reverted-away value.
pub fn empty_triplet() -> Value {
    json!({"status": "EMPTY", "comment": "", "cause": ""})
}

/// Which entity an event changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    Run,
    Dataset,
    /// RR lumisections of a dataset (component triplets).
    RrLs,
    /// OMS lumisections of a dataset (DCS bits, luminosity).
    OmsLs,
}

/// A partial LS object applied to the inclusive LS range `start..=end`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LsChange {
    pub start: u32,
    pub end: u32,
    #[serde(flatten)]
    pub values: Map<String, Value>,
}

/// One change to one entity; immutable once written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// The event's own serial number (`Event.version`); orders events globally.
    pub version: i64,
    pub atomic_version: i64,
    pub target: Target,
    pub run_number: u64,
    /// Dataset name; empty for run events.
    #[serde(default)]
    pub name: String,
    pub manual_change: bool,
    /// Run events: the OMS and RR attributes that changed.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub oms_metadata: Map<String, Value>,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub rr_metadata: Map<String, Value>,
    /// Dataset events: changed attributes and newly seen DQM GUI names.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub dataset_metadata: Map<String, Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub datasets_in_gui: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted: Option<bool>,
    /// LS events: the partial LS objects per range.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ranges: Vec<LsChange>,
}

impl Event {
    /// An empty event on `target`; the store fills in the version numbers.
    pub fn new(target: Target, run_number: u64, name: &str) -> Self {
        Event {
            version: 0,
            atomic_version: 0,
            target,
            run_number,
            name: name.to_owned(),
            manual_change: true,
            oms_metadata: Map::new(),
            rr_metadata: Map::new(),
            dataset_metadata: Map::new(),
            datasets_in_gui: Vec::new(),
            deleted: None,
            ranges: Vec::new(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.oms_metadata.is_empty()
            && self.rr_metadata.is_empty()
            && self.dataset_metadata.is_empty()
            && self.datasets_in_gui.is_empty()
            && self.deleted.is_none()
            && self.ranges.is_empty()
    }
}

/// One user or service action: groups its events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Version {
    pub atomic_version: i64,
    pub by: String,
    pub comment: String,
    #[serde(rename = "createdAt")]
    pub created_at: String,
    pub events: Vec<i64>,
}

/// Who performs a write: the e-mail recorded as `by`, and whether it is the automatic service
/// (whose RR changes never override manual ones).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub email: String,
    pub automatic: bool,
}

impl Actor {
    pub fn user(email: &str) -> Self {
        Actor {
            email: email.to_owned(),
            automatic: false,
        }
    }
    pub fn service() -> Self {
        Actor {
            email: "auto@auto".to_owned(),
            automatic: true,
        }
    }
}

/// The current time as ISO 8601 UTC with milliseconds (what Sequelize stores in `createdAt`).
pub fn now_iso() -> String {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = since.as_secs() as i64;
    let (days, rem) = civil_date::split_unix(secs);
    let (year, month, day) = civil_date::civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        since.subsec_millis()
    )
}
