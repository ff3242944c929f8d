//! The glue every `components/dqmgui-*` shares: build a [`Service`] from the component's environment and run one
//! handler group. Environment: the `default` store, files mounted at `/data` (and layouts at `/layouts`), the
//! component variables `admin_token` (empty or missing: writes are refused), `host` and `import_concurrency` (optional).

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use web_kit::{Reply, Request};

use crate::register::DataRoot;
use crate::routes::Service;
use crate::settings::Settings;

/// A handler group of [`crate::routes`].
pub type Group = fn(&Request, &Service) -> Reply;

fn variable(name: &str) -> Option<String> {
    spin_sdk::variables::get(name).ok()
}

/// Runs `group` for one request.
pub fn serve(request: IncomingRequest, out: ResponseOutparam, group: Group) {
    web_kit::spin::serve_with_store(request, out, |req, store| {
        let service = Service {
            store,
            data: DataRoot::mounted("/data"),
            layouts_dir: PathBuf::from("/layouts"),
            // Variables and the clock are host calls: fetched only by the routes that use them.
            settings: Settings::lazy(variable, || SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)),
        };
        group(req, &service)
    })
}
