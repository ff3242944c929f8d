//! TBufferJSON output of DQM fixture objects against ROOT 6.40's recorded serialisations
//! (`tests/data/json_ref_<class>.json`, copied from specs/samples/dqmgui/json_reference).

use rootfile::json::{format_f32, format_f64, python_repr, to_json};
use rootfile::{FileSource, RootFile};

const DQM: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/dqm");
const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");
const RUN_123456: &str = "DQM_V0001_R000123456__ZeroBias__Run2024A-PromptReco-v1__DQMIO.root";
const EDGE: &str = "DQM_V0001_R000999999__Edge__Cases-v1__DQMIO.root";

/// Serialises the first key named `name` in `file` (highest cycle unless `cycle` is given) as
/// `/api/v1/json` would.
fn serialise(file: &str, name: &str, cycle: Option<i16>, efficiency: bool) -> String {
    let f = RootFile::open(FileSource::open(format!("{DQM}/{file}")).unwrap(), file).unwrap();
    let key = f
        .list_recursive()
        .unwrap()
        .into_iter()
        .find(|k| k.key.name == name && cycle.map_or(k.highest_cycle, |c| k.key.cycle == c))
        .unwrap_or_else(|| panic!("{name} not in {file}"));
    let properties = format!(r#"{{"efficiency": {efficiency}}}"#);
    to_json(&f.object(&key.key).unwrap(), &[("dqmProperties", &properties)])
}

fn data(name: &str) -> String {
    std::fs::read_to_string(format!("{DATA}/{name}.json")).unwrap().trim_end().to_owned()
}

fn assert_same(got: &str, want: &str, what: &str) {
    if got != want {
        let at = got.bytes().zip(want.bytes()).position(|(a, b)| a != b).unwrap_or(got.len().min(want.len()));
        let from = at.saturating_sub(120);
        panic!(
            "{what} differs at byte {at}:\n got: …{}\nwant: …{}",
            &got[from..(at + 80).min(got.len())],
            &want[from..(at + 80).min(want.len())]
        );
    }
}

#[test]
fn histograms_serialise_byte_identical_to_root() {
    for (class, file, name) in [
        ("TH1D", RUN_123456, "Pt"),
        ("TH1S", RUN_123456, "NJets"),
        ("TH2D", RUN_123456, "PhiVSEta"),
        ("TProfile", RUN_123456, "NumberOfRecHitsPerTrackVsEta"),
        ("TH1F_labels", EDGE, "labels"),
        ("TH1I", EDGE, "size_PXLayer_1"),
        ("TH2S", EDGE, "h2s"),
        ("TH3F", EDGE, "h3f"),
    ] {
        assert_same(&serialise(file, name, None, false), &data(&format!("json_ref_{class}")), class);
    }
}

/// Bodies the original DQM GUI served (samples/dqmgui/responses), byte for byte.
#[test]
fn objects_serialise_like_the_original_gui_responses() {
    for (response, file, name, cycle, efficiency) in [
        ("json_th1f", RUN_123456, "NumberOfTracks", None, false),
        ("json_eff", RUN_123456, "TrackEfficiency", None, true),
        ("json_rsm", RUN_123456, "reportSummaryMap", None, false),
        ("json_prof2d", RUN_123456, "EBTMT timing map", None, false),
        ("json_edge_var", EDGE, "variable_bins", None, false),
        // The original served cycle 1 of a name with two cycles.
        ("json_edge_twice", EDGE, "twice", Some(1), false),
    ] {
        assert_same(&serialise(file, name, cycle, efficiency), &data(response), response);
    }
    let scalar = rootfile::Object::ObjString(rootfile::models::ObjString {
        object: Default::default(),
        string: "123456".to_owned(),
    });
    assert_same(&to_json(&scalar, &[("dqmProperties", r#"{"efficiency": false}"#)]), &data("json_int"), "json_int");
}

#[test]
fn numbers_follow_tbufferjson_and_python_repr() {
    assert_eq!(format_f32(0.005), "0.005");
    assert_eq!(format_f32(1.0), "1");
    assert_eq!(format_f32(12345678.0), "12345680.0");
    assert_eq!(format_f32(-1111.0), "-1111");
    assert_eq!(format_f64(13.743530810438178), "13.7435308104382");
    assert_eq!(format_f64(1e20), "1e+20");
    assert_eq!(format_f64(1.25e-7), "1.25e-07");
    assert_eq!(format_f64(f64::NAN), "null");
    assert_eq!(format_f64(1e15), "1000000000000000.0");
    assert_eq!(python_repr(0.987), "0.987");
    assert_eq!(python_repr(5.0), "5.0");
    assert_eq!(python_repr(1714000000.25), "1714000000.25");
    assert_eq!(python_repr(1e16), "1e+16");
    assert_eq!(python_repr(-0.0001), "-0.0001");
    assert_eq!(python_repr(0.00001), "1e-05");
}

#[test]
fn strings_are_escaped_like_python_json_dumps() {
    let mut out = String::new();
    rootfile::json::write_string(&mut out, "a\"b\\c\n\u{1}é😀\u{7f}");
    assert_eq!(out, r#""a\"b\\c\n\u0001\u00e9\ud83d\ude00\u007f""#);
}
