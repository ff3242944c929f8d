//! Key classification (§7.2): one pass over the parent keys, the first matching rule wins. The Python
//! rules use `re.match` (anchored at the start only), which the prefix tests below reproduce.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    TriggerEvents,
    WaveformsAverage,
    WaveformsAll,
    Timelines,
    /// `START-TIMES`: feeds the run-times box.
    Times,
    CameraDisplays,
    Ignored,
}

pub fn classify(parent: &str) -> Category {
    if parent
        .strip_prefix("TRIGGER-EVENTS-")
        .is_some_and(|rest| !rest.starts_with("WRONG"))
    {
        return Category::TriggerEvents;
    }
    // `re.search("WF.*AVERAGE")`: an AVERAGE somewhere after the first WF.
    if parent
        .find("WF")
        .is_some_and(|at| parent[at + 2..].contains("AVERAGE"))
    {
        return Category::WaveformsAverage;
    }
    if parent
        .strip_prefix("WF-")
        .is_some_and(|rest| !rest.contains("AVERAGE"))
    {
        return Category::WaveformsAll;
    }
    if parent.contains("PIXTIMELINE-") {
        return Category::Timelines;
    }
    if parent == "START-TIMES" {
        return Category::Times;
    }
    const NOT_DISPLAYS: [&str; 6] = [
        "CAMERA-PING-PONG-",
        "TRIGGER-",
        "PED-INTEGRATION-",
        "START-TIMES",
        "WF-",
        "CAMERA-TEMPERATURE-TREND",
    ];
    if NOT_DISPLAYS.iter().any(|p| parent.starts_with(p)) {
        return Category::Ignored;
    }
    Category::CameraDisplays
}

/// The per-pixel waveform key of an AVERAGE key (`WF-PHY-AVERAGE-PIX-HIGH-GAIN` → `WF-PHY-HIGH-GAIN`).
pub fn per_pixel_waveform(average: &str) -> String {
    average.replacen("-AVERAGE-PIX", "", 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Category::*;

    #[test]
    fn the_original_test_fixture_keys() {
        assert_eq!(classify("START-TIMES"), Times);
        assert_eq!(classify("TRIGGER-EVENTS-PHY"), TriggerEvents);
        assert_eq!(
            classify("CAMERA-BADPIX-PHY-OVEREVENTS-HIGH-GAIN"),
            CameraDisplays
        );
        assert_eq!(classify("mykey1"), CameraDisplays);
    }

    #[test]
    fn every_result_key_family() {
        for (key, category) in [
            ("TRIGGER-EVENTS-WRONG", Ignored),
            ("TRIGGER-EVENTS-ALL", TriggerEvents),
            ("TRIGGER-STATISTICS", Ignored),
            ("TRIGGER-TYPES", Ignored),
            ("WF-PHY-AVERAGE-PIX-HIGH-GAIN", WaveformsAverage),
            ("WF-PED-AVERAGE-PIX-LOW-GAIN", WaveformsAverage),
            ("WF-PHY-HIGH-GAIN", WaveformsAll),
            ("CAMERA-BADPIXTIMELINE-PED-LOW-GAIN", Timelines),
            (
                "CAMERA-AVERAGE-PHY-OVEREVENTS-OVERSAMP-HIGH-GAIN",
                CameraDisplays,
            ),
            ("CHARGE-INTEGRATION-PED-ALL-RMS-LOW-GAIN", CameraDisplays),
            ("PED-INTEGRATION-IMAGE-ALL-STD-HIGH-GAIN", Ignored),
            ("CAMERA-TEMPERATURE-AVERAGE", CameraDisplays),
            ("CAMERA-TEMPERATURE-TREND", Ignored),
            ("CAMERA-PING-PONG-CHANGES", Ignored),
            // re.search is unanchored, re.match is anchored at the start only.
            ("XWF-FOO-AVERAGE", WaveformsAverage),
            ("START-TIMES-2", Ignored),
            ("FOO-START-TIMES", CameraDisplays),
        ] {
            assert_eq!(classify(key), category, "{key}");
        }
        assert_eq!(
            per_pixel_waveform("WF-PED-AVERAGE-PIX-LOW-GAIN"),
            "WF-PED-LOW-GAIN"
        );
    }
}
