//! Run Registry component: the `/rr/api/...` routes, a thin adapter over `runregistry::api`.
//!
//! Environment: the `default` key-value store; variables `rr_proxy_secret` (the SSO proxy's shared
//! secret), `admin_token` (automatic writers) and optionally `rr_permissions` (JSON permission table).

use runregistry::api::{Api, Request};
use runregistry::auth::AuthConfig;
use runregistry::Registry;
use web_kit::spin::variable;
use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::http_component;
use web_kit::Reply;

/// Where the routes are mounted.
const MOUNT: &str = "/rr/api";

#[http_component]
fn handle(request: IncomingRequest, out: ResponseOutparam) {
    web_kit::spin::serve_with_store(request, out, |req, store| {
        let permissions = variable("rr_permissions");
        let auth = match AuthConfig::new(variable("rr_proxy_secret").as_deref(), variable("admin_token").as_deref(), permissions.as_deref()) {
            Ok(auth) => auth,
            Err(e) => return Reply::json(e.status, &e.body),
        };
        // Small jobs finish inside the request; the polling API still answers as documented.
        let api = Api { registry: Registry::new(store), auth: &auth, inline_jobs: true };
        let path = req.header("spin-path-info").map(str::to_owned).unwrap_or_else(|| req.path.strip_prefix(MOUNT).unwrap_or(&req.path).to_owned());
        let header = |name: &str| req.header(name).map(str::to_owned);
        let response = api.handle(&Request { method: &req.method, path: &path, headers: &header, body: &req.body });
        match response.body {
            Some(body) => Reply::json(response.status, &body),
            None => Reply::new(response.status, "application/json; charset=utf-8", Vec::new()),
        }
    })
}
