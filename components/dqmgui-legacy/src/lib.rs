//! DQM GUI component: the legacy routes /data/json/samples, /data/json/archive and /jsrootfairy/archive (logic in `dqmgui::routes::legacy`).

use spin_sdk::http::{Request, Response};
use spin_sdk::http_component;

#[http_component]
fn handle(request: Request) -> Response {
    dqmgui::component::serve(request, dqmgui::routes::legacy)
}
