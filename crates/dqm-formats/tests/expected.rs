//! Every ME of every DQM fixture matches `expected.json` (types, values, stats, probes, flags, qtests).

mod common;
use dqm_formats::Format;

fn check_fixture(name: &str, format: Format) {
    let expected = common::expected();
    let want = &expected["fixtures"][name];
    let file = common::open(name);
    assert_eq!(file.format(), format);
    assert_eq!(want["fileformat"], format as u8);
    let run = want["run"].as_u64().unwrap() as u32;
    let bad = if format == Format::Dqmio {
        let samples = want["samples"].as_object().unwrap();
        let mut bad = Vec::new();
        for (lumi, mes) in samples {
            let listing = file.list(run, lumi.parse().unwrap()).unwrap();
            assert!(listing.warnings.is_empty(), "{:?}", listing.warnings);
            bad.extend(common::check_listing(
                &file,
                &listing.mes,
                mes.as_array().unwrap(),
            ));
        }
        bad
    } else {
        let listing = file.list(run, 0).unwrap();
        assert!(listing.warnings.is_empty(), "{:?}", listing.warnings);
        assert!(listing.mes.iter().all(|m| m.run == run && m.lumi == 0));
        common::check_listing(&file, &listing.mes, want["mes"].as_array().unwrap())
    };
    assert!(bad.is_empty(), "{name}:\n{}", bad.join("\n"));
}

#[test]
fn legacy_run_123456() {
    check_fixture(common::LEGACY_123456, Format::Legacy);
}

#[test]
fn legacy_run_123457() {
    check_fixture(common::LEGACY_123457, Format::Legacy);
}

#[test]
fn legacy_edge_cases() {
    check_fixture(common::LEGACY_EDGE, Format::Legacy);
}

#[test]
fn dqmio_every_lumi() {
    check_fixture(common::DQMIO, Format::Dqmio);
}

#[test]
fn protobuf() {
    check_fixture(common::PB, Format::Protobuf);
}
