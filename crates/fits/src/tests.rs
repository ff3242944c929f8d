use super::*;

const SMALL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/fixtures/nectarcam/NectarCAM2_Run1000_Results.fits"
);

fn small() -> Vec<u8> {
    std::fs::read(SMALL)
        .expect("fixture; regenerate with tests/fixtures/nectarcam/make_fixtures.py")
}

fn hdu<'a>(hdus: &'a [Hdu], name: &str) -> &'a Hdu {
    hdus.iter()
        .find(|h| h.extname.as_deref() == Some(name))
        .unwrap_or_else(|| panic!("no HDU {name}"))
}

fn column<'a>(hdus: &'a [Hdu], name: &str, col: &str) -> &'a Array {
    match &hdu(hdus, name).data {
        HduData::Table { columns, .. } => {
            &columns
                .iter()
                .find(|c| c.name == col)
                .unwrap_or_else(|| panic!("no column {col}"))
                .array
        }
        other => panic!("{name} is not a table: {other:?}"),
    }
}

/// Replaces the first occurrence of `from` (same length) in the file.
fn patched(bytes: &[u8], from: &str, to: &str) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let at = bytes
        .windows(from.len())
        .position(|w| w == from.as_bytes())
        .expect("pattern");
    let mut out = bytes.to_vec();
    out[at..at + to.len()].copy_from_slice(to.as_bytes());
    out
}

#[test]
fn primary_hdu_with_data_and_extname_is_an_image() {
    let hdus = read(&small()).unwrap();
    assert_eq!(hdus[0].extname.as_deref(), Some("WF-PHY-HIGH-GAIN"));
    match &hdus[0].data {
        HduData::Image(a) => {
            assert_eq!(a.shape, [1855, 8]);
            assert_eq!(a.dtype(), Dtype::Float64);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn tdim_columns_keep_their_element_shape() {
    let hdus = read(&small()).unwrap();
    let start = column(&hdus, "START-TIMES", "Run start time");
    assert_eq!(start.shape, [1, 1]);
    assert_eq!(start.values, Values::Int64(vec![1609459200]));
    assert_eq!(column(&hdus, "START-TIMES", "First event").shape, [1, 1]);
    assert_eq!(column(&hdus, "START-TIMES", "Last event").shape, [1]);
}

#[test]
fn unsigned_ids_logical_columns_and_scalars() {
    let hdus = read(&small()).unwrap();
    let ids = column(&hdus, "TRIGGER-EVENTS-ALL", "IDs");
    assert_eq!(ids.shape, [500]);
    let Values::Int64(ids) = &ids.values else {
        panic!("IDs must be int64")
    };
    assert_eq!(&ids[..3], [1, 2, 3], "TZERO 2^31 (uint32) is applied");
    let changes = column(
        &hdus,
        "CAMERA-PING-PONG-CHANGES",
        "CAMERA-PING-PONG-CHANGES",
    );
    let Values::Bool(changes) = &changes.values else {
        panic!("L column must be bool")
    };
    assert_eq!((changes[0], changes[1], changes[50]), (true, false, true));
    assert_eq!(
        column(&hdus, "PED-INTEGRATION-IMAGE-ALL-STD-HIGH-GAIN", "col0").values,
        Values::Float64(vec![252.5])
    );
    assert_eq!(
        column(
            &hdus,
            "CAMERA-PING-PONG-CHANGES-TIMES",
            "CAMERA-PING-PONG-CHANGES-TIMES"
        )
        .shape,
        [0]
    );
}

#[test]
fn nan_survives_and_zero_column_tables_are_empty() {
    let hdus = read(&small()).unwrap();
    let image = column(
        &hdus,
        "CAMERA-AVERAGE-PHY-OVEREVENTS-OVERSAMP-HIGH-GAIN",
        "CAMERA-AVERAGE-PHY-OverEVENTS-OverSamp-HIGH-GAIN",
    );
    assert_eq!(image.shape, [1855]);
    assert!(image.values.f64_at(10).unwrap().is_nan());
    match &hdu(&hdus, "CAMERA-TEMPERATURE-TREND").data {
        HduData::Table { columns, skipped } => assert!(columns.is_empty() && skipped.is_empty()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn truncated_files_are_errors_at_every_length() {
    let bytes = small();
    // Every cut inside the file fails cleanly (a cut on an HDU boundary is a valid shorter file).
    for cut in (0..bytes.len()).step_by(997) {
        if let Ok(hdus) = read(&bytes[..cut]) {
            assert!(
                cut % BLOCK == 0 && !hdus.is_empty(),
                "cut at {cut} was accepted"
            );
        }
    }
    let err = read(&bytes[..bytes.len() - 5000]).unwrap_err();
    assert!(err.0.contains("truncated"), "{err}");
}

#[test]
fn unknown_xtension_is_an_error_but_ascii_tables_are_skipped() {
    let bytes = small();
    let err = read(&patched(
        &bytes,
        "XTENSION= 'BINTABLE'",
        "XTENSION= 'WEIRDEXT'",
    ))
    .unwrap_err();
    assert!(err.0.contains("unknown XTENSION \"WEIRDEXT\""), "{err}");
    let hdus = read(&patched(
        &bytes,
        "XTENSION= 'BINTABLE'",
        "XTENSION= 'TABLE   '",
    ))
    .unwrap();
    assert_eq!(
        hdus[1].data,
        HduData::Other {
            xtension: "TABLE".into()
        }
    );
}

#[test]
fn hostile_sizes_are_errors_not_allocations() {
    let bytes = small();
    for (from, to) in [
        (
            "NAXIS   =                    2",
            "NAXIS   =                 1000",
        ),
        (
            "NAXIS   =                    2",
            "NAXIS   =                   -1",
        ),
        (
            "NAXIS2  =                 1855",
            "NAXIS2  =  9999999999999999999",
        ),
        (
            "NAXIS2  =                 1855",
            "NAXIS2  =        1000000000000",
        ),
        (
            "BITPIX  =                  -64",
            "BITPIX  =                   12",
        ),
    ] {
        assert!(
            read(&patched(&bytes, from, to)).is_err(),
            "{to} was accepted"
        );
    }
    let tdim = patched(&bytes, "TDIM1   = '(1)     '", "TDIM1   = '(7)     '");
    assert!(read(&tdim).unwrap_err().0.contains("TDIM1"));
    let wide = patched(&bytes, "TFORM1  = 'D       '", "TFORM1  = '900D    '");
    assert!(read(&wide).is_err());
}

#[test]
fn garbage_is_not_fits() {
    assert!(read(b"").is_err());
    assert!(read(&[b' '; 2880]).is_err());
    assert!(read(&vec![0xffu8; 6000]).is_err());
}
