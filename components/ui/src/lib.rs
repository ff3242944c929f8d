//! Web UI component: every page and static file of the site (`/`, `/dqm/…`, `/rr/…`) from `ui::handle`.

use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::http_component;

#[http_component]
fn handle(request: IncomingRequest, out: ResponseOutparam) {
    web_kit::spin::serve(request, out, ui::handle)
}
