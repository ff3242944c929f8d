//! The runs page and the timeline page (spec §7), served as static strings with their constants
//! filled in from here, so the page and the Rust rules below cannot disagree.

use web_kit::Reply;

use crate::api::PREFIX;

/// `FRONTEND_API_QUERY_INTERVAL`: live mode and the cluster status refresh every 3 s.
pub const REFRESH_MS: u32 = 3000;
/// `diff_warning`: a running job not updated for this long is "probably stuck".
pub const STUCK_AFTER_S: f64 = 900.0;
/// `STALE_STATUS_SEC`: an older cluster status shows as "Unknown".
pub const STALE_STATUS_S: f64 = 120.0;
/// The LHC lumisection length the file-delivery graph uses.
pub const LUMI_S: f64 = 23.310893056;

const RUNS_HTML: &str = include_str!("static/runs.html");
const TIMELINE_HTML: &str = include_str!("static/timeline.html");
const COMMON_JS: &str = include_str!("static/dqm2m.js");
const STYLE_CSS: &str = include_str!("static/dqm2m.css");
const CR_JS: &str = include_str!("static/cr.js");

/// A job row's state from its `exit_code` and `seconds_since_update`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    Running,
    ProbablyStuck,
    Stopped,
    Crashed,
}

impl JobState {
    pub fn of(exit_code: Option<i64>, seconds_since_update: f64) -> JobState {
        match exit_code {
            None | Some(-1) if seconds_since_update >= STUCK_AFTER_S => JobState::ProbablyStuck,
            None | Some(-1) => JobState::Running,
            Some(0) => JobState::Stopped,
            Some(_) => JobState::Crashed,
        }
    }

    /// The CSS class the page gives the row (green, dark, yellow, red).
    pub fn css_class(self) -> &'static str {
        match self {
            JobState::Running => "job-running",
            JobState::ProbablyStuck => "job-stuck",
            JobState::Stopped => "job-stopped",
            JobState::Crashed => "job-crashed",
        }
    }
}

/// The cluster-status cell: "Unknown" once the last update is older than [`STALE_STATUS_S`].
pub fn cluster_state_label(is_up: bool, age_s: f64) -> &'static str {
    match (age_s > STALE_STATUS_S, is_up) {
        (true, _) => "Unknown",
        (false, true) => "Up",
        (false, false) => "Down",
    }
}

fn fill(template: &str) -> String {
    template
        .replace("{{PREFIX}}", PREFIX)
        .replace("{{REFRESH_MS}}", &REFRESH_MS.to_string())
        .replace("{{STUCK_AFTER_S}}", &STUCK_AFTER_S.to_string())
        .replace("{{STALE_STATUS_S}}", &STALE_STATUS_S.to_string())
        .replace("{{LUMI_S}}", &LUMI_S.to_string())
}

pub fn runs_page() -> Reply {
    Reply::new(200, "text/html; charset=utf-8", fill(RUNS_HTML))
}

pub fn timeline_page() -> Reply {
    Reply::new(200, "text/html; charset=utf-8", fill(TIMELINE_HTML))
}

/// `/<prefix>/static/<name>`: the pages' scripts and style sheet (the control room's script holds no secret).
pub fn static_file(name: &str) -> Option<Reply> {
    match name {
        "dqm2m.js" => Some(Reply::new(
            200,
            "text/javascript; charset=utf-8",
            fill(COMMON_JS),
        )),
        "dqm2m.css" => Some(Reply::new(200, "text/css; charset=utf-8", STYLE_CSS)),
        "cr.js" => Some(Reply::new(
            200,
            "text/javascript; charset=utf-8",
            fill(CR_JS),
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stuck_starts_at_900_seconds() {
        assert_eq!(JobState::of(None, 901.0), JobState::ProbablyStuck);
        assert_eq!(JobState::of(None, 899.0), JobState::Running);
        assert_eq!(JobState::of(Some(-1), 900.0), JobState::ProbablyStuck);
        assert_eq!(JobState::of(Some(0), 5000.0), JobState::Stopped);
        assert_eq!(JobState::of(Some(134), 1.0), JobState::Crashed);
    }

    #[test]
    fn stale_status_is_unknown() {
        assert_eq!(cluster_state_label(true, 121.0), "Unknown");
        assert_eq!(cluster_state_label(false, 119.0), "Down");
        assert_eq!(cluster_state_label(true, 1.0), "Up");
    }

    #[test]
    fn pages_carry_the_same_constants() {
        let js = String::from_utf8(static_file("dqm2m.js").unwrap().body).unwrap();
        assert!(!js.contains("{{"), "every placeholder is filled");
        assert!(js.contains("const REFRESH_MS = 3000;"));
        assert!(js.contains("const STUCK_AFTER_S = 900;"));
        assert!(js.contains("const STALE_STATUS_S = 120;"));
        for page in [runs_page(), timeline_page()] {
            let html = String::from_utf8(page.body).unwrap();
            assert!(html.contains("/dqm/dqm-square/static/dqm2m.js") && !html.contains("{{"));
        }
    }
}
