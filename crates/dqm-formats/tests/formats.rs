//! Format-specific facts from dqm-formats.md §8: the DQMIO index and variant, bad index rows, gzipped PB files,
//! and the same ME decoding to the same object in all three formats.

mod common;
use dqm_formats::dqmio::{DqmioFile, IndexRow};
use dqm_formats::{Decoded, DqmFile, DqmioVariant, Listing};
use rootfile::{FileSource, RootFile};

fn dqmio() -> DqmioFile<FileSource> {
    let root = RootFile::open(
        FileSource::open(common::dqm(common::DQMIO)).unwrap(),
        common::DQMIO,
    )
    .unwrap();
    DqmioFile::open(root).unwrap()
}

#[test]
fn dqmio_indices_match_the_spec_table() {
    let file = dqmio();
    assert_eq!(file.variant(), DqmioVariant::Mainline);
    let mut table: Vec<(u32, u32, u64, u64)> = Vec::new();
    for lumi in 1..=3u64 {
        for ty in [0, 1, 3, 10] {
            table.push((lumi as u32, ty, lumi - 1, lumi - 1));
        }
    }
    table.extend([
        (0, 0, 3, 5),
        (0, 1, 3, 4),
        (0, 2, 0, 2),
        (0, 3, 3, 7),
        (0, 4, 0, 0),
        (0, 5, 0, 0),
        (0, 6, 0, 2),
        (0, 8, 0, 0),
        (0, 10, 3, 3),
        (0, 11, 0, 0),
    ]);
    let rows: Vec<(u32, u32, u64, u64)> = file
        .rows()
        .iter()
        .map(|r| (r.lumi, r.type_index, r.first, r.last))
        .collect();
    assert_eq!(rows, table);
    for row in file.rows() {
        assert_eq!(row.run, 123456);
        let (begin, end) = if row.lumi == 0 {
            (1714000000u64, 1714000000u64 + 3600)
        } else {
            (1714000000 + 23 * row.lumi as u64, 0)
        };
        assert_eq!(row.begin_time, begin << 32);
        if row.lumi == 0 {
            assert_eq!(row.end_time, end << 32);
        }
    }
    assert_eq!(
        file.samples(),
        vec![(123456, 0), (123456, 1), (123456, 2), (123456, 3)]
    );
    assert!(file.list(123456, 9).unwrap().mes.is_empty());
}

#[test]
fn dqmio_row_beyond_a_tree_is_an_import_error() {
    let mut file = dqmio();
    file.push_row(IndexRow {
        run: 7,
        lumi: 1,
        process_history_index: 0,
        begin_time: 0,
        end_time: 0,
        type_index: 3,
        first: 0,
        last: 99,
    });
    let err = file.list(7, 1).unwrap_err().to_string();
    assert!(err.contains("TH1Fs") && err.contains("outside"), "{err}");
}

#[test]
fn dqmio_unknown_type_is_skipped_with_a_warning() {
    let mut file = dqmio();
    file.push_row(IndexRow {
        run: 7,
        lumi: 1,
        process_history_index: 0,
        begin_time: 0,
        end_time: 0,
        type_index: 77,
        first: 0,
        last: 0,
    });
    file.push_row(IndexRow {
        run: 7,
        lumi: 1,
        process_history_index: 0,
        begin_time: 0,
        end_time: 0,
        type_index: 0,
        first: 0,
        last: 1,
    });
    let listing = file.list(7, 1).unwrap();
    assert_eq!(listing.warnings.len(), 1, "{:?}", listing.warnings);
    // Entries 0 and 1 of Ints share a name (lumis 1 and 2): the later one wins.
    assert_eq!(listing.mes.len(), 1);
    assert_eq!(listing.mes[0].value, Some(dqm_formats::Scalar::Int(2)));
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

fn without_locations(listing: &Listing) -> Vec<dqm_formats::Me> {
    listing
        .mes
        .iter()
        .cloned()
        .map(|mut m| {
            m.location = dqm_formats::Location::Inline;
            m
        })
        .collect()
}

#[test]
fn pb_blobs_inflate_to_size_plus_one_and_a_gzipped_raw_file_lists_the_same() {
    use dqm_formats::pb_schema::{histo_records, Histo, RootFilePb};
    use prost::Message;
    let bytes = std::fs::read(common::dqm(common::PB)).unwrap();
    let records = histo_records(&bytes).unwrap();
    assert_eq!(records.len(), 23);
    let mut raw = RootFilePb::default();
    for (offset, len) in records {
        let histo = Histo::decode(&bytes[offset..offset + len]).unwrap();
        let mut inflated = Vec::new();
        std::io::Read::read_to_end(
            &mut flate2::read::ZlibDecoder::new(&histo.streamed_histo[..]),
            &mut inflated,
        )
        .unwrap();
        assert_eq!(
            inflated.len(),
            histo.size as usize + 1,
            "{}",
            histo.full_pathname
        );
        let blob = dqm_formats::pb::unpack_blob(&histo).unwrap();
        assert_eq!(blob, inflated[..histo.size as usize]);
        if histo.full_pathname.ends_with("TrackEfficiency") {
            assert_eq!(histo.flags, 0x10 | dqm_formats::pb::FLAG_EFFICIENCY);
        }
        raw.histo.push(Histo {
            streamed_histo: blob,
            ..histo
        });
    }
    let online = DqmFile::open(bytes, "online")
        .unwrap()
        .list(123456, 3)
        .unwrap();
    let offline = DqmFile::open(gzip(&raw.encode_to_vec()), "offline").unwrap();
    let listing = offline.list(123456, 3).unwrap();
    assert_eq!(without_locations(&listing), without_locations(&online));
    assert!(
        listing.mes.iter().all(|m| m.lumi == 3),
        "stored under the registered lumi"
    );
    for me in &listing.mes {
        offline.decode(me).unwrap();
    }
}

#[test]
fn the_same_me_decodes_equally_in_all_three_formats() {
    let path = "Tracking/TrackParameters/GeneralProperties/NumberOfTracks";
    let mut objects = Vec::new();
    for name in [common::LEGACY_123456, common::DQMIO, common::PB] {
        let file = common::open(name);
        let listing = file.list(123456, 0).unwrap();
        let me = listing
            .find(path)
            .unwrap_or_else(|| panic!("{name}: no {path}"));
        let Decoded::Object(object) = file.decode(me).unwrap() else {
            panic!("{name}: not an object")
        };
        objects.push(rootfile::json::to_json(&object, &[]));
    }
    assert_eq!(objects[0], objects[1], "legacy vs DQMIO");
    assert_eq!(objects[0], objects[2], "legacy vs PB");
}

#[test]
fn legacy_ignores_objects_outside_run_summary_and_serves_the_highest_cycle() {
    let file = common::open(common::LEGACY_EDGE);
    let listing = file.list(999999, 0).unwrap();
    assert_eq!(listing.mes.len(), 11);
    assert!(listing
        .mes
        .iter()
        .all(|m| !m.path_string().contains("not_in_run_summary")));
    let twice = listing.find("Edge/Cycles/twice").unwrap();
    let Decoded::Object(rootfile::Object::Histogram(h)) = file.decode(twice).unwrap() else {
        panic!()
    };
    assert_eq!(h.array.to_f64(), vec![0.0, 1.0, 2.0, 0.0, 0.0, 0.0]);
}

#[test]
fn legacy_labels_resolve_class_references() {
    let file = common::open(common::LEGACY_EDGE);
    let listing = file.list(999999, 0).unwrap();
    let Decoded::Object(rootfile::Object::Histogram(h)) = file
        .decode(listing.find("Edge/Labels/labels").unwrap())
        .unwrap()
    else {
        panic!()
    };
    let labels = h.th1.xaxis.labels.as_ref().unwrap();
    let got: Vec<(u32, String)> = labels
        .items
        .iter()
        .map(|i| match &i.object {
            Some(rootfile::Object::ObjString(s)) => (s.object.unique_id, s.string.clone()),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        got,
        vec![(1, "alpha".into()), (2, "beta".into()), (3, "gamma".into())]
    );
}
