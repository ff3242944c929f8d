//! DQM GUI component: GET /api/v1/samples, datasets, latest_runs, lumis and host (logic in `dqmgui::routes::catalog`).

use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::http_component;

#[http_component]
fn handle(request: IncomingRequest, out: ResponseOutparam) {
    dqmgui::component::serve(request, out, dqmgui::routes::catalog)
}
