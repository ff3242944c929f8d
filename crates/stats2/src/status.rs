//! The poller's state as the views show it (`GET /api/status` and the list page's status line): the
//! running or last pass, the bookkeeping of the last completed one, and what waits in the queues.

use crate::store::load_settings;
use crate::sync::{load_progress, Progress};
use crate::update_queue::queued_updates;
use crate::{callbacks, Error};
use kv_api::KvStore;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Status {
    /// The running or last pass; `None` before the first one.
    pub pass: Option<Progress>,
    /// The `since` the next pass resumes from (saved by the last completed pass).
    pub since: String,
    /// UNIX start time of the last completed pass; 0 before any.
    pub last_completed_pass: i64,
    pub failed_workflows: Vec<String>,
    /// `/api/update` requests waiting for the poller.
    pub queued_updates: usize,
    /// Callbacks waiting to be sent or retried.
    pub queued_callbacks: usize,
}

pub fn load(store: &dyn KvStore) -> Result<Status, Error> {
    let settings = load_settings(store)?;
    Ok(Status {
        // A status value that does not parse is not worth failing the page for.
        pass: load_progress(store).ok().flatten(),
        since: settings.last_reqmgr_sequence,
        last_completed_pass: settings.last_dbs_update_date,
        failed_workflows: settings.failed_workflows,
        queued_updates: queued_updates(store)?.len(),
        queued_callbacks: callbacks::queued(store)?.len(),
    })
}

/// `YYYY-MM-DD HH:MM UTC` of a UNIX time.
pub fn utc(time: i64) -> String {
    let (days, secs) = civil_date::split_unix(time);
    let (year, month, day) = civil_date::civil_from_days(days);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02} UTC", secs / 3600, secs % 3600 / 60)
}

/// One line for the list page, e.g. `Last pass done 2024-09-01 12:00 UTC in 3.2 s: 10000 seen, …`.
pub fn summary(status: &Status) -> String {
    let Some(pass) = &status.pass else {
        return "No sync pass has run yet.".into();
    };
    let when = pass.finished.unwrap_or(pass.started);
    let mut line = format!(
        "Last pass {} {} in {:.1} s: {} seen, {} changed, {} deleted, {} failed; resumes from since {}",
        pass.state,
        utc(when),
        pass.elapsed_ms as f64 / 1000.0,
        pass.seen,
        pass.changed,
        pass.deleted,
        pass.failed,
        status.since,
    );
    if let Some(error) = &pass.error {
        line.push_str(&format!(" (error: {error})"));
    }
    if status.queued_updates + status.queued_callbacks > 0 {
        line.push_str(&format!(
            "; queued: {} updates, {} callbacks",
            status.queued_updates, status.queued_callbacks
        ));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc(1_725_200_000), "2024-09-01 14:13 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(utc(-1), "1969-12-31 23:59 UTC");
    }
}
