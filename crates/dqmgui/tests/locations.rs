//! Every ME of every fixture, served through the stored location (legacy keys and DQMIO basket spans read
//! directly), gives the same json as the file opened, listed and decoded the old way (DQMIO `Tree` entries).

mod common;

use common::*;
use dqm_formats::{api_json, DqmFile, Location};
use dqmgui::{objects, schema};
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
