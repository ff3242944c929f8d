//! Static resources compiled into the library: the viewer page, the camera geometry and the labels.

use std::sync::OnceLock;

use serde_json::{Map, Value};

pub const INDEX_HTML: &str = include_str!("../assets/index.html");
pub const VIEWER_JS: &str = include_str!("../assets/viewer.js");
pub const VIEWER_CSS: &str = include_str!("../assets/viewer.css");
/// NectarCam-003 in the EngineeringCameraFrame, exported from ctapipe (§4.4).
const GEOMETRY_JSON: &str = include_str!("../assets/geometry_NectarCam-003.json");
/// Axis labels and colour-bar units per key (§4.3).
pub const LABELS_JSON: &str = include_str!("../assets/labels.json");

/// `(path, content type, body)` of every static file, served below the mount.
pub const STATIC_FILES: [(&str, &str, &str); 4] = [
    ("", "text/html; charset=utf-8", INDEX_HTML),
    ("viewer.js", "text/javascript; charset=utf-8", VIEWER_JS),
    ("viewer.css", "text/css; charset=utf-8", VIEWER_CSS),
    (
        "labels.json",
        "application/json; charset=utf-8",
        LABELS_JSON,
    ),
];

/// The `/api/geometry` body: the five fields §7.5 lists, serialised once.
pub fn geometry_body() -> &'static str {
    static BODY: OnceLock<String> = OnceLock::new();
    BODY.get_or_init(|| {
        let full: Map<String, Value> = serde_json::from_str(GEOMETRY_JSON).unwrap_or_default();
        let picked: Map<String, Value> = ["name", "frame", "pix_id", "pix_x", "pix_y"]
            .iter()
            .filter_map(|k| Some((k.to_string(), full.get(*k)?.clone())))
            .collect();
        Value::Object(picked).to_string()
    })
}

fn labels() -> &'static Map<String, Value> {
    static LABELS: OnceLock<Map<String, Value>> = OnceLock::new();
    LABELS.get_or_init(|| serde_json::from_str(LABELS_JSON).unwrap_or_default())
}

/// The label of a key, trying the original file's `WF-AVERAGE-PED-PIX-*` spelling for
/// `WF-PED-AVERAGE-PIX-*` keys (and the reverse), as §8 asks.
pub fn label(key: &str) -> Option<&'static str> {
    let lookup = |k: &str| labels().get(k).and_then(Value::as_str);
    lookup(key).or_else(|| {
        let swapped = ["PHY", "PED"].iter().find_map(|kind| {
            let (data, original) = (
                format!("WF-{kind}-AVERAGE-PIX"),
                format!("WF-AVERAGE-{kind}-PIX"),
            );
            if key.contains(&data) {
                Some(key.replacen(&data, &original, 1))
            } else {
                key.contains(&original)
                    .then(|| key.replacen(&original, &data, 1))
            }
        })?;
        lookup(&swapped)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geometry_has_every_pixel() {
        let g: Value = serde_json::from_str(geometry_body()).unwrap();
        assert_eq!(g["name"], "NectarCam-003");
        assert_eq!(g["frame"], "EngineeringCameraFrame");
        assert_eq!(g["pix_x"].as_array().unwrap().len(), 1855);
        assert_eq!(g.as_object().unwrap().len(), 5);
    }

    #[test]
    fn labels_accept_both_waveform_spellings() {
        assert_eq!(label("WF-PED-AVERAGE-PIX-HIGH-GAIN"), Some("ADC counts"));
        assert_eq!(
            label("CAMERA-BADPIX-PHY-OVEREVENTS-HIGH-GAIN"),
            Some("0: Good, 1: Bad")
        );
        assert_eq!(label("CAMERA-TEMPERATURE-AVERAGE"), Some("$$^{\\circ}$$C"));
        assert_eq!(label("mykey1"), None);
    }
}
