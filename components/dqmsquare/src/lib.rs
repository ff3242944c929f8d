//! DQM² Mirror component: the read-only `/dqm/dqm-square` API and pages, a thin adapter over `dqmsquare::api`.
//!
//! Environment: the `default` key-value store (written by scraper-host's grabber and robber); optional
//! variables `fff_playback_machines` and `fff_production_machines` (`;`-separated, for censoring).

use std::time::{SystemTime, UNIX_EPOCH};

use dqmsquare::api::Mirror;
use dqmsquare::{machine_list, DEFAULT_PLAYBACK_MACHINES, DEFAULT_PRODUCTION_MACHINES};
use dqmsquare_sanitize::Sanitizer;
use spin_sdk::http::{Request, Response};
use spin_sdk::http_component;

fn variable_or(name: &str, default: &str) -> String {
    web_kit::spin::variable(name).unwrap_or_else(|| default.to_owned())
}

#[http_component]
fn handle(request: Request) -> Response {
    web_kit::spin::serve_with_store(request, |req, store| {
        let mut machines = machine_list(&variable_or(
            "fff_playback_machines",
            DEFAULT_PLAYBACK_MACHINES,
        ));
        machines.extend(machine_list(&variable_or(
            "fff_production_machines",
            DEFAULT_PRODUCTION_MACHINES,
        )));
        let sanitizer = Sanitizer::new(machines);
        let now_s = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        Mirror {
            kv: store,
            sanitizer: &sanitizer,
            now_s,
        }
        .handle(req)
    })
}
