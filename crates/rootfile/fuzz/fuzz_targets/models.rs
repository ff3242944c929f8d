//! Decodes arbitrary bytes as an object of a class picked by the first byte, and as ReadObjectAny.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((class, base, payload)) = rootfile_fuzz::split_models_input(data) else { return };
    if let Ok(object) = rootfile::decode(class, payload, base) {
        let _ = rootfile::json::to_json(&object, &[]);
    }
    let _ = rootfile::models::decode_object_any(payload, base);
});
