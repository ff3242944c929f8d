//! Run keys `<camera>_Run<run>` (§3): the only accepted format is `^NectarCAM(QM|[2-9])_Run(\d+)$`.

/// Camera codes in display order: the Qualification Model first, then 2..9.
pub const CAMERA_CODES: [&str; 9] = ["QM", "2", "3", "4", "5", "6", "7", "8", "9"];

/// A valid run key, split into its parts. The run text is kept verbatim (real keys are zero-padded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunKey {
    pub camera: &'static str,
    pub run_text: String,
    pub run: u64,
}

impl RunKey {
    pub fn parse(key: &str) -> Option<RunKey> {
        let (camera, run_text) = key.strip_prefix("NectarCAM")?.split_once("_Run")?;
        let camera = camera_code(camera)?;
        if run_text.is_empty() || !run_text.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let run = run_text.parse().ok()?;
        Some(RunKey {
            camera,
            run_text: run_text.to_owned(),
            run,
        })
    }

    /// `NectarCAM<code>_Run<run>`, with the run as given.
    pub fn new(camera: &str, run_text: &str) -> Option<RunKey> {
        RunKey::parse(&format!("{}_Run{run_text}", camera_name(camera)?))
    }

    pub fn key(&self) -> String {
        format!("NectarCAM{}_Run{}", self.camera, self.run_text)
    }
}

/// Accepts a code (`QM`, `2`) and returns the canonical one.
pub fn camera_code(code: &str) -> Option<&'static str> {
    CAMERA_CODES.iter().copied().find(|c| *c == code)
}

/// `NectarCAMQM` for `QM`; accepts the full name too.
pub fn camera_name(camera: &str) -> Option<String> {
    let code = camera.strip_prefix("NectarCAM").unwrap_or(camera);
    camera_code(code).map(|c| format!("NectarCAM{c}"))
}

/// The tab title (§7.1, with the long label for QM).
pub fn camera_label(code: &str) -> String {
    if code == "QM" {
        "NectarCAM Qualification Model".to_owned()
    } else {
        format!("NectarCAM {code}")
    }
}

/// Position of a camera in the display order.
pub fn camera_rank(code: &str) -> usize {
    CAMERA_CODES
        .iter()
        .position(|c| *c == code)
        .unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_documented_key_format_is_accepted() {
        let k = RunKey::parse("NectarCAMQM_Run0999").unwrap();
        assert_eq!((k.camera, k.run_text.as_str(), k.run), ("QM", "0999", 999));
        assert_eq!(k.key(), "NectarCAMQM_Run0999");
        assert_eq!(RunKey::parse("NectarCAM2_Run1000").unwrap().camera, "2");
        for bad in [
            "NectarCAM_Run5",
            "NectarCAM1_Run5",
            "NectarCAM10_Run5",
            "NectarCAMQM_Run",
            "NectarCAMQM_Run12a",
            "NectarCAMQM_Run-1",
            "xNectarCAMQM_Run1",
            "NectarCAMQM_Run99999999999999999999999",
        ] {
            assert!(RunKey::parse(bad).is_none(), "{bad}");
        }
        assert_eq!(
            RunKey::new("NectarCAM3", "42").unwrap().key(),
            "NectarCAM3_Run42"
        );
        assert_eq!(RunKey::new("QM", "42").unwrap().key(), "NectarCAMQM_Run42");
        assert!(RunKey::new("NectarCAM1", "42").is_none());
    }

    #[test]
    fn labels_use_the_long_qm_name() {
        assert_eq!(camera_label("QM"), "NectarCAM Qualification Model");
        assert_eq!(camera_label("7"), "NectarCAM 7");
        assert!(camera_rank("QM") < camera_rank("2") && camera_rank("2") < camera_rank("9"));
    }
}
