//! Any bytes given to the ROOTFilePB reader: frame, list, decode every ME; errors are fine, panics not.
#![no_main]

use dqm_formats::pb::PbFile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(file) = PbFile::open(data.to_vec(), "fuzz") else { return };
    let Ok(listing) = file.list(1, 0) else { return };
    for me in &listing.mes {
        if let dqm_formats::Location::Pb { offset, len } = me.location {
            let _ = file.decode(offset, len);
        }
    }
});
