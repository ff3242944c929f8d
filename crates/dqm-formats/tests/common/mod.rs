//! Fixture paths and `expected.json` access shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// `tests/fixtures` at the repository root.
pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

pub fn dqm(name: &str) -> PathBuf {
    fixtures().join("dqm").join(name)
}

pub fn expected() -> serde_json::Value {
    let text = std::fs::read_to_string(dqm("expected.json")).expect("read expected.json");
    serde_json::from_str(&text).expect("parse expected.json")
}

pub const LEGACY_123456: &str = "DQM_V0001_R000123456__ZeroBias__Run2024A-PromptReco-v1__DQMIO.root";
pub const LEGACY_123457: &str = "DQM_V0001_R000123457__ZeroBias__Run2024A-PromptReco-v1__DQMIO.root";
pub const LEGACY_EDGE: &str = "DQM_V0001_R000999999__Edge__Cases-v1__DQMIO.root";
pub const DQMIO: &str = "DQMIO_R000123456_ZeroBias.root";
pub const PB: &str = "run123456_ls0003_streamDQMHistograms.pb";
