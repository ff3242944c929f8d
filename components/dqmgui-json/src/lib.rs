//! DQM GUI component: GET /api/v1/json and json_overlay: TBufferJSON-compatible ROOT-JSON (logic in `dqmgui::routes::json_routes`).

use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::http_component;

#[http_component]
fn handle(request: IncomingRequest, out: ResponseOutparam) {
    dqmgui::component::serve(request, out, dqmgui::routes::json_routes)
}
