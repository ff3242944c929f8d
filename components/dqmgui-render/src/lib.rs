//! DQM GUI component: GET /api/v1/render, render_overlay and /plotfairy/...: histogram PNGs (logic in `dqmgui::render_routes`).

use spin_sdk::http::{Request, Response};
use spin_sdk::http_component;

#[http_component]
fn handle(request: Request) -> Response {
    dqmgui::component::serve(request, dqmgui::render_routes::render_routes)
}
