//! DQM GUI component: POST /api/v1/register: validate, import the files eagerly, store the samples (logic in `dqmgui::routes::register`).

use spin_sdk::http::{Request, Response};
use spin_sdk::http_component;

#[http_component]
fn handle(request: Request) -> Response {
    dqmgui::component::serve(request, dqmgui::routes::register)
}
