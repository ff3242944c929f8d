//! DQM GUI component: POST /api/v1/register: validate, import the files eagerly, store the samples (logic in `dqmgui::routes::register`).

use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::http_component;

#[http_component]
fn handle(request: IncomingRequest, out: ResponseOutparam) {
    dqmgui::component::serve(request, out, dqmgui::routes::register)
}
