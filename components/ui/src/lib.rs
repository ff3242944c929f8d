//! Web UI component: every page and static file of the site (`/`, `/dqm/…`, `/rr/…`) from `ui::handle`.

use spin_sdk::http::{Request, Response};
use spin_sdk::http_component;

#[http_component]
fn handle(request: Request) -> Response {
    web_kit::spin::serve(request, ui::handle)
}
