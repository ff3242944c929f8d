//! `allowed_outbound_hosts` rules of spin-host.md §1 and §6.

use spin_app::outbound::{is_service_chaining_host, service_chaining_target, AllowedHosts, OutboundTarget};

fn hosts(entries: &[&str]) -> AllowedHosts {
    let entries: Vec<String> = entries.iter().map(|e| e.to_string()).collect();
    AllowedHosts::parse(&entries, &["web", "api"]).unwrap_or_else(|e| panic!("{entries:?}: {e}"))
}

fn parse_err(entry: &str) -> String {
    AllowedHosts::parse(&[entry.to_string()], &[]).expect_err(entry)
}

#[test]
fn literal_host_with_scheme_default_port() {
    let h = hosts(&["https://example.com"]);
    assert!(h.allows_url("https://example.com/x?y"));
    assert!(h.allows_url("https://example.com:443"));
    assert!(h.allows_url("https://EXAMPLE.com"));
    assert!(!h.allows_url("https://example.com:8443"));
    assert!(!h.allows_url("http://example.com"));
    assert!(!h.allows_url("https://a.example.com"));
    assert!(h.allows_url("example.com/no-scheme-means-https"));
    for (scheme, port) in [("http", 80), ("redis", 6379), ("postgres", 5432), ("mysql", 3306), ("mqtt", 1883)] {
        let h = hosts(&[&format!("{scheme}://db")]);
        assert!(h.allows(&OutboundTarget { scheme: scheme.into(), host: "db".into(), port }), "{scheme}");
        assert!(!h.allows(&OutboundTarget { scheme: scheme.into(), host: "db".into(), port: port + 1 }), "{scheme}");
    }
}

#[test]
fn wildcards_for_scheme_host_and_port() {
    let h = hosts(&["*://example.com:*"]);
    assert!(h.allows_url("ftp://example.com:21"));
    assert!(h.allows_url("https://example.com"));
    let h = hosts(&["https://*.example.com"]);
    assert!(h.allows_url("https://a.example.com"));
    assert!(h.allows_url("https://a.b.example.com"));
    assert!(!h.allows_url("https://example.com"), "*.domain is subdomains only");
    assert!(!h.allows_url("https://badexample.com"));
    let h = hosts(&["http://*:8080"]);
    assert!(h.allows_url("http://anything:8080"));
    assert!(!h.allows_url("http://anything"));
}

#[test]
fn port_ranges_are_half_open() {
    let h = hosts(&["http://example.com:8000..8003"]);
    assert!(h.allows_url("http://example.com:8000"));
    assert!(h.allows_url("http://example.com:8002"));
    assert!(!h.allows_url("http://example.com:8003"));
    assert!(!h.allows_url("http://example.com:7999"));
}

#[test]
fn ip_literals_and_cidr() {
    let h = hosts(&["http://192.168.0.0/16", "http://[::1]:8080", "tcp://10.0.0.0/8:5000"]);
    assert!(h.allows_url("http://192.168.3.4"));
    assert!(!h.allows_url("http://192.169.0.1"));
    assert!(h.allows_url("http://[::1]:8080/x"));
    assert!(!h.allows_url("http://[::2]:8080"));
    assert!(h.allows(&OutboundTarget { scheme: "tcp".into(), host: "10.9.8.7".into(), port: 5000 }));
    let h = hosts(&["http://[fd00::]/8"]);
    assert!(h.allows_url("http://[fd12::1]"));
    assert!(!h.allows_url("http://[fe00::1]"));
}

#[test]
fn self_and_service_chaining() {
    let h = hosts(&["http://self"]);
    assert!(h.allows_url("/relative/path"));
    assert!(h.allows_self("http"));
    assert!(!h.allows_self("https"));
    assert!(hosts(&["https://self"]).allows_url("/relative"), "a relative URL may use http or https");
    assert!(h.allows_url("http://self.alt/x"));
    assert!(!hosts(&["https://example.com"]).allows_url("/relative"));
    assert!(hosts(&["*://*:*"]).allows_url("/relative"));

    let h = hosts(&["http://*.spin.internal"]);
    assert!(h.allows_url("http://web.spin.internal/x"));
    assert!(h.allows_url("http://api.spin.internal"));
    assert!(!h.allows_url("http://other.spin.internal"), "expanded to the app's components only");
    let h = hosts(&["http://web.spin.internal"]);
    assert!(h.allows_url("http://web.spin.internal"));
    assert!(!h.allows_url("http://api.spin.internal"));

    assert!(is_service_chaining_host("web.spin.internal:80"));
    assert!(!is_service_chaining_host("example.com"));
    assert_eq!(service_chaining_target("web.spin.internal"), Some("web"));
}

#[test]
fn malformed_entries() {
    assert!(parse_err("example.com").contains("does not contain a scheme"));
    assert!(parse_err("*").contains("is not an allowed outbound host format"));
    assert_eq!(parse_err("https://example.com:443/path"), "\"https://example.com:443/path\" has a path but is not allowed to");
    assert_eq!(parse_err("https://example.com/path"), "\"https://example.com/path\": hosts must not contain paths");
    assert!(parse_err("insecure:allow-all").starts_with("'insecure:allow-all' is not allowed - use '*://*:*' instead"));
    assert!(parse_err("ht1p://example.com").contains("scheme \"ht1p\" contains non alphabetic character"));
    assert!(parse_err("custom://example.com").contains("no port was provided and the scheme \"custom\" does not have a known default port number"));
    assert!(parse_err("*://example.com").contains("the scheme \"*\" does not have a known default port number"));
    assert!(parse_err("http://example.com:99999").contains("port \"99999\" is not a number"));
    assert!(parse_err("http://example.com:8a..90").contains("port range \"8a..90\" contains non-number"));
    assert!(parse_err("http://example.com:8003..8000").contains("is empty"));
    assert!(parse_err("http://ex*ample.com").contains("wildcards are allowed only as subdomains"));
    assert!(parse_err("http://*.ex*.com").contains("wildcards are allowed only as prefixes"));
    assert!(parse_err("http://10.0.0.0/33").contains("invalid CIDR"));
    assert!(parse_err("http://:80").contains("empty"));
}

#[test]
fn unset_templates_and_trailing_slash_are_skipped_or_fine() {
    let h = hosts(&["", "http://", "https://", "https://example.com/"]);
    assert!(h.allows_url("https://example.com"));
    assert!(!h.allows_url("http://other"));
}
