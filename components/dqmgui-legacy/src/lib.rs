//! DQM GUI component: the legacy routes /data/json/samples, /data/json/archive and /jsrootfairy/archive (logic in `dqmgui::routes::legacy`).

use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::http_component;

#[http_component]
fn handle(request: IncomingRequest, out: ResponseOutparam) {
    dqmgui::component::serve(request, out, dqmgui::routes::legacy)
}
