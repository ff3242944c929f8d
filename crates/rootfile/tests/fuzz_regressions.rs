//! Inputs the fuzz targets once crashed on (`tests/data/fuzz/<target>-<hash>`), replayed as the targets do.

// The fuzz crate's input layout, shared rather than copied.
#[path = "../fuzz/src/lib.rs"]
mod fuzz_input;

use rootfile::RootFile;

fn replay_models(data: &[u8]) {
    let Some((class, base, payload)) = fuzz_input::split_models_input(data) else { return };
    if let Ok(object) = rootfile::decode(class, payload, base) {
        let _ = rootfile::json::to_json(&object, &[]);
    }
    let _ = rootfile::models::decode_object_any(payload, base);
}

fn replay_container(data: &[u8]) {
    let Ok(file) = RootFile::open(data, "fuzz") else { return };
    let _ = file.visit_keys(|_, key, _| {
        let _ = file.object(&key).map(|o| rootfile::json::to_json(&o, &[]));
        Ok(())
    });
}

#[test]
fn former_fuzz_crashes_are_handled() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/fuzz");
    let mut replayed = 0;
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let name = entry.file_name().into_string().unwrap();
        let data = std::fs::read(entry.path()).unwrap();
        match name.split('-').next() {
            Some("models") => replay_models(&data),
            Some("container") => replay_container(&data),
            _ => panic!("unknown fuzz target in {name}"),
        }
        replayed += 1;
    }
    assert!(replayed > 0);
}
