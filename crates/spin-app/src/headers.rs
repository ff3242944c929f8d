//! The `spin-*` request headers Spin appends after the client's (`trigger-http` `headers.rs`), in Spin's order.

use crate::routes::RouteMatch;
use std::net::SocketAddr;

/// What the headers need to know about the incoming request.
#[derive(Debug, Clone, Copy)]
pub struct RequestInfo<'a> {
    /// `http`, or `https` when serving TLS.
    pub scheme: &'a str,
    /// The `Host` header, if any (`localhost` is used otherwise).
    pub host: Option<&'a str>,
    /// The request target's path and query, as received.
    pub path_and_query: &'a str,
    /// The peer; `0.0.0.0:0` for service-chained requests.
    pub client_addr: SocketAddr,
}

/// The headers to append, lowercase names: path-info, full-url, matched-route, base-path,
/// raw-component-route, component-route, client-addr, then one `spin-path-match-<name>` per `:name`.
pub fn spin_headers(route: &RouteMatch, request: &RequestInfo<'_>) -> Vec<(String, String)> {
    let host = request.host.unwrap_or("localhost");
    let mut headers = vec![
        ("spin-path-info".to_string(), route.path_info.clone()),
        ("spin-full-url".to_string(), format!("{}://{host}{}", request.scheme, request.path_and_query)),
        ("spin-matched-route".to_string(), route.based_route.clone()),
        ("spin-base-path".to_string(), "/".to_string()),
        ("spin-raw-component-route".to_string(), route.raw_route.clone()),
        ("spin-component-route".to_string(), route.component_route().to_string()),
        ("spin-client-addr".to_string(), request.client_addr.to_string()),
    ];
    for (name, value) in &route.params {
        let name = name.to_ascii_lowercase().replace('_', "-");
        headers.push((format!("spin-path-match-{name}"), value.clone()));
    }
    headers
}
