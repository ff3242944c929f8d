//! Every ME of every fixture, served through the stored location (legacy keys and DQMIO basket spans read
//! directly), gives the same json as the file opened, listed and decoded the old way (DQMIO `Tree` entries).

mod common;

use common::*;
use dqm_formats::{api_json, DqmFile, Location};
use dqmgui::{objects, schema};
use kv_api::KvStore;
use rootfile::FileSource;

#[test]
fn stored_locations_decode_like_the_opened_file() {
    let store = setup(&all_fixtures());
    let svc = service(&store);
    let (mut direct, mut spans) = (0, 0);
    for id in schema::all_samples(&store).unwrap() {
        let (record, list) = objects::sample(&store, &id).unwrap().unwrap();
        let local = svc.data.resolve(&record.file).unwrap();
        let file = DqmFile::open(FileSource::open(&local).unwrap(), record.file.clone()).unwrap();
        let listed = file.list(id.run, id.lumi).unwrap().mes;
        assert!(!listed.is_empty(), "{id:?}");
        for old in &listed {
            let path = old.path_string();
            let Some(i) = list.find(&path) else { continue };
            let stored = list.info(i).unwrap().location;
            let want = file.decode(old).map(|d| api_json(&d, old.efficiency));
            let got = objects::load(&store, &svc.data, &id, &path).unwrap().unwrap();
            assert_eq!(Ok(api_json(&got.decoded, got.efficiency)), want.map_err(|e| e.to_string()), "{id:?} {path}");
            match (&old.location, &stored) {
                (Location::Tree { .. }, Location::Basket { .. }) => spans += 1,
                (Location::Tree { .. }, other) => panic!("{id:?} {path}: a DQMIO histogram stored as {other:?}"),
                (Location::Key { .. }, _) if old.value.is_none() => direct += 1,
                _ => {}
            }
        }
    }
    assert!(direct > 10 && spans > 10, "{direct} keys and {spans} basket spans checked");
}

#[test]
fn lists_with_tree_locations_still_decode() {
    let store = setup(&all_fixtures());
    let svc = service(&store);
    let id = schema::SampleId::new(&format!("/{TREE}"), 123456, 0);
    let (record, stored) = objects::sample(&store, &id).unwrap().unwrap();
    let file = DqmFile::open(FileSource::open(svc.data.resolve(&record.file).unwrap()).unwrap(), record.file.clone()).unwrap();
    let listed = file.list(id.run, id.lumi).unwrap().mes;
    let paths: Vec<String> = listed.iter().map(|m| m.path_string()).collect();
    let new: Vec<String> = paths.iter().map(|p| json(&store, &svc, &id, p)).collect();
    // What registrations wrote before basket spans: the listing's `Tree` locations.
    store.set(&record.melist, &dqmgui::melist::MeList::from_mes(&listed).encode()).unwrap();
    let (_, old_list) = objects::sample(&store, &id).unwrap().unwrap();
    assert_ne!(old_list, stored);
    let old: Vec<String> = paths.iter().map(|p| json(&store, &svc, &id, p)).collect();
    assert_eq!(old, new);
}

fn json(store: &kv_api::MemoryStore, svc: &dqmgui::Service, id: &schema::SampleId, path: &str) -> String {
    let loaded = objects::load(store, &svc.data, id, path).unwrap().unwrap();
    api_json(&loaded.decoded, loaded.efficiency)
}
