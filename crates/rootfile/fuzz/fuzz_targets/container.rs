//! Opens arbitrary bytes as a ROOT file, lists every key and decodes every object.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rootfile::RootFile;

fuzz_target!(|data: &[u8]| {
    let Ok(file) = RootFile::open(data, "fuzz") else { return };
    let _ = file.visit_keys(|_, key, _| {
        if rootfile::models::is_supported(&key.class_name) {
            let _ = file.object(&key).map(|o| rootfile::json::to_json(&o, &[]));
        } else {
            let _ = file.payload(&key);
        }
        Ok(())
    });
});
