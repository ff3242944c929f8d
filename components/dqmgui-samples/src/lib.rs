//! DQM GUI component: GET /api/v1/samples, datasets, latest_runs, lumis and host (logic in `dqmgui::routes::catalog`).

use spin_sdk::http::{Request, Response};
use spin_sdk::http_component;

#[http_component]
fn handle(request: Request) -> Response {
    dqmgui::component::serve(request, dqmgui::routes::catalog)
}
