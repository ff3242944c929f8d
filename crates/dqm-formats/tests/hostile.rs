//! Truncated and corrupted fixtures give errors, never panics (each case opens, lists and decodes everything).

mod common;
use dqm_formats::{DqmFile, Format};

/// Opens, lists every sample and decodes every ME; the first error, if any.
fn read_everything(bytes: Vec<u8>) -> Result<usize, dqm_formats::Error> {
    let file = DqmFile::open(bytes, "hostile")?;
    let listing = file.list_all(1)?;
    for me in &listing.mes {
        file.decode(me)?;
    }
    Ok(listing.mes.len())
}

const FIXTURES: [&str; 5] = [
    common::LEGACY_123456,
    common::LEGACY_123457,
    common::LEGACY_EDGE,
    common::DQMIO,
    common::PB,
];

/// Offsets spread over the file, denser at the start (headers) and at the end (key lists, streamer info).
fn offsets(len: usize, n: usize) -> Vec<usize> {
    let mut out: Vec<usize> = (0..n).map(|i| i * len / n).collect();
    out.extend(0..24.min(len));
    out.extend(len.saturating_sub(24)..len);
    out.sort_unstable();
    out.dedup();
    out
}

#[test]
fn truncated_files_are_errors() {
    for name in FIXTURES {
        let bytes = std::fs::read(common::dqm(name)).unwrap();
        let is_pb = name == common::PB;
        // A PB file cut exactly between two records is a valid, shorter file.
        let boundaries: Vec<usize> = if is_pb {
            dqm_formats::pb_schema::histo_records(&bytes)
                .unwrap()
                .iter()
                .map(|(off, len)| off + len)
                .collect()
        } else {
            Vec::new()
        };
        for cut in offsets(bytes.len(), 80) {
            let result = read_everything(bytes[..cut].to_vec());
            if !(is_pb && boundaries.contains(&cut)) {
                assert!(result.is_err(), "{name} cut at {cut} read fine: {result:?}");
            }
        }
    }
}

#[test]
fn corrupted_bytes_never_panic() {
    for name in FIXTURES {
        let bytes = std::fs::read(common::dqm(name)).unwrap();
        let mut errors = 0;
        for at in offsets(bytes.len(), 60) {
            for pattern in [[0x7f_u8, 0xff, 0xff, 0xff], [0x40, 0, 0, 0x02]] {
                let mut bad = bytes.clone();
                let end = (at + 4).min(bad.len());
                bad[at..end].copy_from_slice(&pattern[..end - at]);
                errors += read_everything(bad).is_err() as usize;
            }
        }
        assert!(errors > 0, "{name}: no corruption was noticed at all");
    }
}

#[test]
fn garbage_is_an_error() {
    assert!(read_everything(Vec::new()).is_err(), "an empty file");
    assert!(read_everything(b"root".to_vec()).is_err());
    assert!(read_everything(b"root\0\0\0\0garbage garbage garbage".to_vec()).is_err());
    assert!(read_everything(vec![0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]).is_err());
    assert!(
        read_everything(vec![0x1f, 0x8b, 0x08, 0x00]).is_err(),
        "a truncated gzip stream"
    );
    let file = DqmFile::open(std::fs::read(common::dqm(common::PB)).unwrap(), "pb").unwrap();
    assert_eq!(file.format(), Format::Protobuf);
}

/// The MEs of a fixture with their locations as a registration stores them (DQMIO pinned to basket spans).
fn stored_mes(bytes: &[u8]) -> Vec<dqm_formats::Me> {
    let file = DqmFile::open(bytes, "fixture").unwrap();
    let mut mes = file.list_all(1).unwrap().mes;
    if let DqmFile::Dqmio(dqmio) = &file {
        dqmio.locate(&mut mes);
    }
    mes
}

#[test]
fn direct_reads_of_corrupted_files_and_wrong_locations_are_errors() {
    use dqm_formats::{decode_direct, Location};
    for name in [common::LEGACY_123456, common::DQMIO] {
        let bytes = std::fs::read(common::dqm(name)).unwrap();
        let mes = stored_mes(&bytes);
        assert!(
            mes.iter()
                .any(|m| decode_direct(&bytes, name, m).is_some_and(|d| d.is_ok())),
            "{name}"
        );
        for at in offsets(bytes.len(), 40) {
            let mut bad = bytes.clone();
            let end = (at + 4).min(bad.len());
            bad[at..end].copy_from_slice(&[0x7f, 0xff, 0xff, 0xff][..end - at]);
            for me in &mes {
                let _ = decode_direct(&bad, name, me);
            }
        }
        for me in mes.iter().filter(|m| m.value.is_none()) {
            let mut wrong = me.clone();
            match &mut wrong.location {
                Location::Key { nbytes, .. } => *nbytes += 1,
                Location::Basket { span, .. } => span.len = u32::MAX,
                _ => continue,
            }
            assert!(
                decode_direct(&bytes, name, &wrong).unwrap().is_err(),
                "{name}: {:?}",
                wrong.location
            );
            if let Location::Basket { span, .. } = &mut wrong.location {
                span.len = 4;
                span.offset = 0;
                assert!(
                    decode_direct(&bytes, name, &wrong).unwrap().is_err(),
                    "inside the key header"
                );
            }
        }
    }
}
