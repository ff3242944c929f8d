//! `allowed_outbound_hosts` (Spin `outbound-networking-config` `allowed_hosts.rs`): parsing and `allows`.

use std::net::IpAddr;

/// Spin's default port for a scheme; other schemes need an explicit port.
pub fn default_port(scheme: &str) -> Option<u16> {
    Some(match scheme {
        "http" => 80,
        "https" => 443,
        "redis" => 6379,
        "postgres" => 5432,
        "mysql" => 3306,
        "mqtt" => 1883,
        _ => return None,
    })
}

/// True for `<anything>.spin.internal` (with or without a port): a service-chaining host.
pub fn is_service_chaining_host(host: &str) -> bool {
    let name = split_host_port(host).map(|(h, _)| h).unwrap_or(host);
    name.ends_with(".spin.internal")
}

/// The component a `<component>.spin.internal` host names.
pub fn service_chaining_target(host: &str) -> Option<&str> {
    let name = split_host_port(host).map(|(h, _)| h).unwrap_or(host);
    name.strip_suffix(".spin.internal").filter(|c| !c.is_empty() && *c != "*")
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum SchemeRule {
    Any,
    Is(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum HostRule {
    Any,
    /// `*.domain`: the stored value is `.domain`; the domain itself does not match.
    Subdomains(String),
    Name(String),
    Cidr(IpAddr, u8),
    /// `self` / `self.alt`: requests to the app itself.
    ToSelf,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum PortRule {
    Any,
    /// Half-open `[start, end)`; a single port is `[p, p+1)`.
    Range(u32, u32),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    scheme: SchemeRule,
    host: HostRule,
    port: PortRule,
}

/// A component's parsed allow-list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedHosts {
    rules: Vec<Rule>,
}

/// Where an outbound request goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundTarget {
    pub scheme: String,
    /// Lowercase host; IPv6 without brackets.
    pub host: String,
    pub port: u16,
}

impl OutboundTarget {
    /// Parses an absolute URL (`scheme://[user@]host[:port][/…]`); without a scheme `https` is assumed,
    /// without a port the scheme's default. `None` for a relative URL (a self-request) or bad input.
    pub fn parse_url(url: &str) -> Option<OutboundTarget> {
        let (scheme, rest) = match url.split_once("://") {
            Some((s, r)) => (s.to_ascii_lowercase(), r),
            None if url.starts_with('/') => return None,
            None => ("https".to_string(), url),
        };
        if scheme.is_empty() || !scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) {
            return None;
        }
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        let authority = authority.rsplit_once('@').map(|(_, a)| a).unwrap_or(authority);
        let (host, port) = split_host_port(authority)?;
        if host.is_empty() {
            return None;
        }
        let port = match port {
            Some(p) => p.parse().ok()?,
            None => default_port(&scheme)?,
        };
        Some(OutboundTarget { scheme, host: host.to_ascii_lowercase(), port })
    }
}

/// Splits `host[:port]` / `[v6][:port]`; `None` if brackets are unbalanced.
fn split_host_port(authority: &str) -> Option<(&str, Option<&str>)> {
    if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        return match after {
            "" => Some((host, None)),
            p => Some((host, Some(p.strip_prefix(':')?))),
        };
    }
    match authority.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => Some((h, Some(p))),
        Some(_) => Some((authority, None)), // a bare IPv6 address
        None => Some((authority, None)),
    }
}

impl AllowedHosts {
    /// Parses entries whose templates are already resolved; an entry that is empty, `http://` or
    /// `https://` (an unset template) is skipped. `component_ids` expands `*.spin.internal`.
    pub fn parse(entries: &[String], component_ids: &[&str]) -> Result<AllowedHosts, String> {
        let mut rules = Vec::new();
        for entry in entries {
            let entry = entry.trim();
            if entry.is_empty() || entry == "http://" || entry == "https://" {
                continue;
            }
            rules.extend(parse_entry(entry, component_ids)?);
        }
        Ok(AllowedHosts { rules })
    }

    /// Is an absolute request to `target` allowed?
    pub fn allows(&self, target: &OutboundTarget) -> bool {
        self.rules.iter().any(|r| r.allows(target))
    }

    /// Like [`allows`](Self::allows) for a URL string; a relative URL asks [`allows_self`](Self::allows_self).
    pub fn allows_url(&self, url: &str) -> bool {
        if url.starts_with('/') {
            return self.allows_self("http") || self.allows_self("https");
        }
        OutboundTarget::parse_url(url).is_some_and(|t| self.allows(&t))
    }

    /// Is a self-request (no authority, or host `self.alt`) with `scheme` allowed? It needs a rule with
    /// host `self` or `*` whose scheme allows `scheme`.
    pub fn allows_self(&self, scheme: &str) -> bool {
        self.rules
            .iter()
            .any(|r| matches!(r.host, HostRule::ToSelf | HostRule::Any) && r.scheme.allows(scheme))
    }
}

impl SchemeRule {
    fn allows(&self, scheme: &str) -> bool {
        match self {
            SchemeRule::Any => true,
            SchemeRule::Is(s) => s.eq_ignore_ascii_case(scheme),
        }
    }
}

impl Rule {
    fn allows(&self, t: &OutboundTarget) -> bool {
        let port_ok = match self.port {
            PortRule::Any => true,
            PortRule::Range(a, b) => (a..b).contains(&u32::from(t.port)),
        };
        let host_ok = match &self.host {
            HostRule::Any => true,
            HostRule::Subdomains(suffix) => t.host.ends_with(suffix.as_str()),
            HostRule::Name(n) => *n == t.host,
            HostRule::Cidr(net, bits) => t.host.parse::<IpAddr>().is_ok_and(|ip| in_cidr(ip, *net, *bits)),
            HostRule::ToSelf => t.host == "self.alt",
        };
        self.scheme.allows(&t.scheme) && host_ok && port_ok
    }
}

fn parse_entry(entry: &str, component_ids: &[&str]) -> Result<Vec<Rule>, String> {
    if entry == "insecure:allow-all" {
        return Err("'insecure:allow-all' is not allowed - use '*://*:*' instead if you really want to allow all outbound traffic'".into());
    }
    let Some((scheme_text, rest)) = entry.split_once("://") else {
        return Err(match entry {
            "*" | ":" | "?" => format!("{entry:?} is not an allowed outbound host format: hosts must be in the form <scheme>://<host>[:<port>], with '*' wildcards allowed for each"),
            _ => format!("{entry:?} does not contain a scheme (e.g., 'http://' or '*://')"),
        });
    };
    let scheme = match scheme_text {
        "*" => SchemeRule::Any,
        s if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphabetic()) => SchemeRule::Is(s.to_ascii_lowercase()),
        s => return Err(format!("scheme {s:?} contains non alphabetic character")),
    };
    let (authority, path) = split_path(rest);
    let (host, port) = split_authority(authority).ok_or_else(|| format!("{entry:?}: malformed host"))?;
    if !path.is_empty() && path != "/" {
        return Err(match port {
            Some(_) => format!("{entry:?} has a path but is not allowed to"),
            None => format!("{entry:?}: hosts must not contain paths"),
        });
    }
    let port = match port {
        None => {
            let p = default_port(scheme_text).ok_or_else(|| {
                format!("no port was provided and the scheme {scheme_text:?} does not have a known default port number")
            })?;
            PortRule::Range(u32::from(p), u32::from(p) + 1)
        }
        Some("*") => PortRule::Any,
        Some(p) => parse_ports(p)?,
    };
    let hosts = parse_host(host, component_ids).map_err(|e| format!("{entry:?}: {e}"))?;
    Ok(hosts.into_iter().map(|host| Rule { scheme: scheme.clone(), host, port: port.clone() }).collect())
}

/// Splits `authority` from a path; the `/` of a CIDR (`10.0.0.0/8:80`, `[fd00::]/8`) is part of the host.
fn split_path(rest: &str) -> (&str, &str) {
    let Some(slash) = rest.find('/') else { return (rest, "") };
    let head = &rest[..slash];
    let is_ip = head.parse::<IpAddr>().is_ok() || (head.starts_with('[') && head.ends_with(']'));
    let digits = rest[slash + 1..].chars().take_while(char::is_ascii_digit).count();
    if !is_ip || digits == 0 {
        return (head, &rest[slash..]);
    }
    let host_end = slash + 1 + digits;
    let end = rest[host_end..].find('/').map_or(rest.len(), |i| host_end + i);
    (&rest[..end], &rest[end..])
}

/// `host[:port]` where host may be a CIDR (`10.0.0.0/8`) or bracketed IPv6 (`[fd00::]/8`).
fn split_authority(authority: &str) -> Option<(&str, Option<&str>)> {
    if authority.starts_with('[') {
        let close = authority.find(']')?;
        let after = &authority[close + 1..];
        let (bits, port) = match after.split_once(':') {
            Some((b, p)) => (b, Some(p)),
            None => (after, None),
        };
        return Some((&authority[..close + 1 + bits.len()], port));
    }
    match authority.rsplit_once(':') {
        Some((h, p)) => Some((h, Some(p))),
        None => Some((authority, None)),
    }
}

fn parse_ports(p: &str) -> Result<PortRule, String> {
    if let Some((a, b)) = p.split_once("..") {
        let non_number = || format!("port range {p:?} contains non-number");
        let (a, b): (u16, u16) = (a.parse().map_err(|_| non_number())?, b.parse().map_err(|_| non_number())?);
        // Spin accepts an empty range (allowing nothing); it can only be a mistake, so refuse it.
        if a >= b {
            return Err(format!("port range {p:?} is empty: the end is excluded"));
        }
        return Ok(PortRule::Range(u32::from(a), u32::from(b)));
    }
    let port: u16 = p.parse().map_err(|_| format!("port {p:?} is not a number"))?;
    Ok(PortRule::Range(u32::from(port), u32::from(port) + 1))
}

fn parse_host(host: &str, component_ids: &[&str]) -> Result<Vec<HostRule>, String> {
    if host.is_empty() {
        return Err("the host is empty".into());
    }
    let bare = host.trim_start_matches('[').replace(']', "");
    Ok(vec![match host {
        "*" => HostRule::Any,
        "self" | "self.alt" => HostRule::ToSelf,
        "*.spin.internal" => {
            return Ok(component_ids.iter().map(|c| HostRule::Name(format!("{c}.spin.internal"))).collect())
        }
        h if h.starts_with("*.") => {
            let domain = &h[1..];
            if domain.len() < 2 || domain[1..].contains('*') {
                return Err(format!("Invalid allowed host {h}: wildcards are allowed only as prefixes"));
            }
            HostRule::Subdomains(domain.to_ascii_lowercase())
        }
        _ if bare.contains('/') => {
            let (ip, bits) = bare.split_once('/').unwrap_or((&bare, ""));
            let ip: IpAddr = ip.parse().map_err(|_| format!("invalid CIDR {host:?}"))?;
            let max = if ip.is_ipv4() { 32 } else { 128 };
            let bits: u8 = bits.parse().ok().filter(|b| *b <= max).ok_or_else(|| format!("invalid CIDR {host:?}"))?;
            HostRule::Cidr(ip, bits)
        }
        h if h.contains('*') => return Err(format!("Invalid allowed host {h}: wildcards are allowed only as subdomains")),
        _ => HostRule::Name(bare.to_ascii_lowercase()),
    }])
}

fn in_cidr(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(ip), IpAddr::V4(net)) => {
            let mask = if bits == 0 { 0 } else { u32::MAX << (32 - u32::from(bits)) };
            u32::from(ip) & mask == u32::from(net) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) => {
            let mask = if bits == 0 { 0 } else { u128::MAX << (128 - u32::from(bits)) };
            u128::from(ip) & mask == u128::from(net) & mask
        }
        _ => false,
    }
}
