//! DQM GUI component: GET /api/v1/json and json_overlay: TBufferJSON-compatible ROOT-JSON (logic in `dqmgui::routes::json_routes`).

use spin_sdk::http::{Request, Response};
use spin_sdk::http_component;

#[http_component]
fn handle(request: Request) -> Response {
    dqmgui::component::serve(request, dqmgui::routes::json_routes)
}
