//! Shared pieces of the fuzz targets: the class table the `models` target picks from.

/// Classes the `models` target decodes; an input's first byte picks one (modulo the length).
pub const CLASSES: &[&str] = &[
    "TH1F",
    "TH1D",
    "TH1S",
    "TH1I",
    "TH1C",
    "TH2F",
    "TH2D",
    "TH2S",
    "TH2I",
    "TH3F",
    "TH3D",
    "TProfile",
    "TProfile2D",
    "TObjString",
    "TNamed",
    "TList",
    "THashList",
    "TParameter<double>",
    "string",
];

/// Bytes 1..5 of a models input are the buffer's base offset (big-endian), the rest the payload.
pub fn split_models_input(data: &[u8]) -> Option<(&'static str, u32, &[u8])> {
    let (&selector, rest) = data.split_first()?;
    let base = u32::from_be_bytes(rest.get(..4)?.try_into().ok()?);
    Some((CLASSES[selector as usize % CLASSES.len()], base, &rest[4..]))
}
