//! DQM GUI component: GET /api/v1/archive: one directory level of a sample, layouts merged (logic in `dqmgui::routes::archive`).

use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::http_component;

#[http_component]
fn handle(request: IncomingRequest, out: ResponseOutparam) {
    dqmgui::component::serve(request, out, dqmgui::routes::archive)
}
