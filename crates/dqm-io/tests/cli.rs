//! Runs the `dqm-io` binary on the fixtures: every subcommand, byte-equal `/api/v1/json` dumps, and bad input.

use std::path::PathBuf;
use std::process::{Command, Output};

const LEGACY: &str = "DQM_V0001_R000123456__ZeroBias__Run2024A-PromptReco-v1__DQMIO.root";
const EDGE: &str = "DQM_V0001_R000999999__Edge__Cases-v1__DQMIO.root";
const DQMIO: &str = "DQMIO_R000123456_ZeroBias.root";
const PB: &str = "run123456_ls0003_streamDQMHistograms.pb";

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/dqm")
        .join(name)
}

fn dqm_io(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dqm-io"))
        .args(args)
        .output()
        .expect("run dqm-io")
}

fn ok_lines(args: &[&str]) -> Vec<serde_json::Value> {
    let out = dqm_io(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

#[test]
fn keys_lists_every_key_with_both_cycles() {
    let path = fixture(EDGE);
    let lines = ok_lines(&["keys", path.to_str().unwrap()]);
    let twice: Vec<_> = lines
        .iter()
        .filter(|l| l["path"].as_array().unwrap().last().unwrap() == "twice")
        .collect();
    assert_eq!(
        twice
            .iter()
            .map(|l| l["cycle"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        vec![2, 1]
    );
    let scalar = lines
        .iter()
        .find(|l| l["class"] == "TObjString" && l["path"][5] == "<negativeInt>i=-42</negativeInt>");
    assert!(
        scalar.is_some(),
        "a scalar key name with '/' stays one component"
    );
    assert!(lines
        .iter()
        .any(|l| l["path"]
            == serde_json::json!(["DQMData", "Run 999999", "Edge", "not_in_run_summary"])));
}

#[test]
fn object_prints_tbufferjson() {
    let path = fixture(EDGE);
    let lines = ok_lines(&[
        "object",
        path.to_str().unwrap(),
        "DQMData",
        "Run 999999",
        "Edge",
        "Run summary",
        "Cycles",
        "twice",
    ]);
    assert_eq!(lines[0]["_typename"], "TH1F");
    assert_eq!(lines[0]["fArray"], serde_json::json!([0, 1, 2, 0, 0, 0]));
}

#[test]
fn ls_prints_every_me_of_every_format() {
    let legacy = ok_lines(&["ls", fixture(LEGACY).to_str().unwrap()]);
    assert_eq!(legacy.len(), 21);
    let summary = legacy
        .iter()
        .find(|l| l["path"] == "Tracking/EventInfo/reportSummary")
        .unwrap();
    assert_eq!(
        (
            summary["type"].as_str(),
            summary["value"].as_f64(),
            summary["run"].as_u64()
        ),
        (Some("Float"), Some(0.987), Some(123456))
    );
    let dqmio = ok_lines(&["ls", fixture(DQMIO).to_str().unwrap()]);
    assert_eq!(dqmio.len(), 21 + 3 * 4);
    assert_eq!(dqmio.iter().filter(|l| l["lumi"] == 2).count(), 4);
    let pb = ok_lines(&["ls", fixture(PB).to_str().unwrap()]);
    assert_eq!(pb.len(), 21);
    let eff = pb
        .iter()
        .find(|l| l["path"] == "Tracking/TrackParameters/GeneralProperties/TrackEfficiency")
        .unwrap();
    assert_eq!(eff["efficiency"], true);
    assert_eq!(
        pb.iter()
            .map(|l| l["qtests"].as_array().map_or(0, Vec::len))
            .sum::<usize>(),
        2
    );
}

/// `dump` equals the recorded `/api/v1/json` bodies (and the ROOT 6.40 TBufferJSON references) byte for byte.
#[test]
fn dump_matches_recorded_json() {
    let cases: &[(&str, &str, &str, &[&str])] = &[
        (
            "json_th1f.json",
            LEGACY,
            "Tracking/TrackParameters/GeneralProperties/NumberOfTracks",
            &[],
        ),
        (
            "json_rsm.json",
            LEGACY,
            "Info/EventInfo/reportSummaryMap",
            &[],
        ),
        (
            "json_prof2d.json",
            LEGACY,
            "EcalBarrel/EBTimingTask/EBTMT timing map",
            &[],
        ),
        (
            "json_eff.json",
            LEGACY,
            "Tracking/TrackParameters/GeneralProperties/TrackEfficiency",
            &[],
        ),
        (
            "json_int.json",
            LEGACY,
            "Info/EventInfo/iRun",
            &["--run", "123456"],
        ),
        (
            "json_edge_var.json",
            EDGE,
            "Edge/Binning/variable_bins",
            &[],
        ),
        (
            "gui0_dqmio_json_lumi2.json",
            DQMIO,
            "Tracking/PerLumi/NumberOfTracks",
            &["--run", "123456", "--lumi", "2"],
        ),
        (
            "gui0_dqmio_json_prof.json",
            DQMIO,
            "Tracking/TrackParameters/GeneralProperties/NumberOfRecHitsPerTrackVsEta",
            &[],
        ),
        (
            "gui0_dqmio_json_string.json",
            DQMIO,
            "Info/ProvInfo/CMSSW",
            &[],
        ),
        (
            "gui0_dqmio_json_th1f.json",
            DQMIO,
            "Tracking/TrackParameters/GeneralProperties/NumberOfTracks",
            &[],
        ),
        (
            "gui0_pb_json_th1f.json",
            PB,
            "Tracking/TrackParameters/GeneralProperties/NumberOfTracks",
            &[],
        ),
        ("json_ref_TH1D.json", LEGACY, "JetMET/Jet/ak4PFJets/Pt", &[]),
        ("json_ref_TH1F_labels.json", EDGE, "Edge/Labels/labels", &[]),
        ("json_ref_TH1I.json", EDGE, "Edge/Types/size_PXLayer_1", &[]),
        (
            "json_ref_TH1S.json",
            LEGACY,
            "JetMET/Jet/ak4PFJets/NJets",
            &[],
        ),
        (
            "json_ref_TH2D.json",
            LEGACY,
            "JetMET/Jet/ak4PFJets/PhiVSEta",
            &[],
        ),
        ("json_ref_TH2S.json", EDGE, "Edge/Types/h2s", &[]),
        ("json_ref_TH3F.json", EDGE, "Edge/Types/h3f", &[]),
        (
            "json_ref_TProfile.json",
            LEGACY,
            "Tracking/TrackParameters/GeneralProperties/NumberOfRecHitsPerTrackVsEta",
            &[],
        ),
    ];
    for (recorded, file, me, extra) in cases {
        let path = fixture(file);
        let mut args = vec!["dump", path.to_str().unwrap(), me];
        args.extend_from_slice(extra);
        let out = dqm_io(&args);
        assert!(
            out.status.success(),
            "{recorded}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let want = std::fs::read_to_string(fixture("json").join(recorded)).unwrap();
        assert_eq!(
            String::from_utf8(out.stdout).unwrap().trim_end(),
            want.trim_end(),
            "{recorded}"
        );
    }
}

/// The recorded `json_edge_twice.json` is the original's cycle 1; we serve the highest cycle.
#[test]
fn dump_serves_the_highest_cycle() {
    let lines = ok_lines(&["dump", fixture(EDGE).to_str().unwrap(), "Edge/Cycles/twice"]);
    assert_eq!(lines[0]["fArray"], serde_json::json!([0, 1, 2, 0, 0, 0]));
    assert_eq!(lines[0]["fEntries"], 2);
    let recorded: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixture("json/json_edge_twice.json")).unwrap(),
    )
    .unwrap();
    assert_ne!(recorded["fArray"], lines[0]["fArray"]);
}

fn assert_fails(args: &[&str], needle: &str) {
    let out = dqm_io(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
    assert!(
        stderr.contains(needle),
        "{args:?}: {stderr:?} lacks {needle:?}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn bad_input_exits_non_zero_with_a_message() {
    let dir = std::env::temp_dir().join(format!("dqm-io-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let truncated = dir.join("truncated.root");
    let bytes = std::fs::read(fixture(LEGACY)).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 3]).unwrap();
    let truncated = truncated.to_str().unwrap();
    assert_fails(&["ls", truncated], "truncated.root: ");
    assert_fails(&["keys", truncated], "truncated.root: ");
    assert_fails(&["ls", "/nonexistent/file.root"], "cannot open");
    assert_fails(
        &["dump", fixture(LEGACY).to_str().unwrap(), "No/Such/ME"],
        "ME not found",
    );
    assert_fails(
        &[
            "dump",
            fixture(LEGACY).to_str().unwrap(),
            "Info/EventInfo/iRun",
            "--lumi",
            "x",
        ],
        "not a number",
    );
    assert_fails(
        &[
            "object",
            fixture(LEGACY).to_str().unwrap(),
            "DQMData",
            "nothing",
        ],
        "no key",
    );
    assert_fails(&["frobnicate", "x"], "usage");
    assert_fails(&[], "usage");
    std::fs::remove_dir_all(&dir).unwrap();
}
