//! DQM GUI component: GET /api/v1/archive: one directory level of a sample, layouts merged (logic in `dqmgui::routes::archive`).

use spin_sdk::http::{Request, Response};
use spin_sdk::http_component;

#[http_component]
fn handle(request: Request) -> Response {
    dqmgui::component::serve(request, dqmgui::routes::archive)
}
