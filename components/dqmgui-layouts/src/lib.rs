//! DQM GUI component: GET /api/v1/layouts?name= and the authenticated reload POST /api/v1/layouts (logic in `dqmgui::routes::layouts`).

use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::http_component;

#[http_component]
fn handle(request: IncomingRequest, out: ResponseOutparam) {
    dqmgui::component::serve(request, out, dqmgui::routes::layouts)
}
