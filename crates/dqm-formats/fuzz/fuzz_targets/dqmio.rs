//! Any bytes given to the DQMIO/legacy reader: open, list every sample, decode every ME; errors are fine, panics not.
#![no_main]

use dqm_formats::DqmFile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Only ROOT files: the protobuf target covers the rest.
    if !data.starts_with(b"root") {
        return;
    }
    let Ok(file) = DqmFile::open(data.to_vec(), "fuzz") else { return };
    let Ok(listing) = file.list_all(0) else { return };
    for me in &listing.mes {
        let _ = file.decode(me);
    }
});
