//! The shipped rules target real MEs: every pattern in `rules.toml` matches at least one ME path
//! of the DQM fixtures (`shared/fixtures/dqm/expected.json`, beside the repository).

use std::path::PathBuf;

fn fixture_paths() -> Vec<String> {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/dqm/expected.json");
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut paths = Vec::new();
    let mut collect = |mes: &serde_json::Value| {
        for me in mes.as_array().into_iter().flatten() {
            if let Some(p) = me["path"].as_str() {
                paths.push(p.to_string());
            }
        }
    };
    for fixture in json["fixtures"].as_object().unwrap().values() {
        collect(&fixture["mes"]);
        for sample in fixture["samples"].as_object().into_iter().flat_map(|s| s.values()) {
            collect(sample);
        }
    }
    paths
}

#[test]
fn every_shipped_rule_matches_a_fixture_me() {
    let paths = fixture_paths();
    assert!(paths.len() > 60, "only {} fixture paths", paths.len());
    let rules = render::Rules::builtin();
    assert!(!rules.is_empty());
    for pattern in rules.patterns() {
        assert!(paths.iter().any(|p| render::Rules::matches(pattern, p)), "rule {pattern:?} matches no fixture ME");
    }
}
