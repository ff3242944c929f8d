//! DQM GUI component: GET /api/v1/render, render_overlay and /plotfairy/...: histogram PNGs (logic in `dqmgui::render_routes`).

use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::http_component;

#[http_component]
fn handle(request: IncomingRequest, out: ResponseOutparam) {
    dqmgui::component::serve(request, out, dqmgui::render_routes::render_routes)
}
