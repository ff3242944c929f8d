//! The DQM² Mirror sanitiser (spec §5): censors host names, e-mails, cookies, tokens and user names
//! before anything is stored or served.
//!
//! The original's field rules (host, client, CMSSW version, run key) are plain functions; the free-text
//! rules live in [`Sanitizer`], which also knows the configured machine lists (`FFF_*_MACHINES`).

use std::sync::OnceLock;

use regex_lite::{Captures, Regex};

/// Censors one host name: `dqmfu-c2b01-45-01` → `dqmfu-c2b01-..`, `fu-c2f11-11-01.cms` → `fu..01`.
/// A name without `-` has no parts worth keeping and becomes `..`.
pub fn censor_host(name: &str) -> String {
    let name = name.strip_suffix(".cms").unwrap_or(name);
    if name.is_empty() {
        return String::new();
    }
    if name.starts_with("dqm") {
        let mut parts = name.split('-');
        let first = parts.next().unwrap_or_default();
        return match parts.next() {
            Some(second) => format!("{first}-{second}-.."),
            None => format!("{first}-.."),
        };
    }
    match (name.split_once('-'), name.rsplit_once('-')) {
        (Some((first, _)), Some((_, last))) => format!("{first}..{last}"),
        _ => "..".to_owned(),
    }
}

/// The short client name: the original tests for `_dqm_sourceclient-live` anywhere and then drops the last
/// 22 characters (`ecalgpu_dqm_sourceclient-live` → `ecalgpu`; `hlt_dqm_clientPB-live` is unchanged).
pub fn short_client(tag: &str) -> String {
    const SUFFIX: &str = "_dqm_sourceclient-live";
    if !tag.contains(SUFFIX) {
        return tag.to_owned();
    }
    let keep = tag.chars().count().saturating_sub(SUFFIX.len());
    tag.chars().take(keep).collect()
}

/// The CMSSW version of a client path: the first folder containing `CMSSW`, text after `CMSSW_`;
/// `""` when there is none (the original crashes).
pub fn cmssw_version(path: &str) -> String {
    path.split('/')
        .find(|folder| folder.contains("CMSSW"))
        .and_then(|folder| folder.split_once("CMSSW_"))
        .map(|(_, version)| version.to_owned())
        .unwrap_or_default()
}

/// `runkey=cosmic_run` → `cosmic_run`.
pub fn strip_runkey(item: &str) -> String {
    item.strip_prefix("runkey=").unwrap_or(item).to_owned()
}

/// Escapes `<`, `>`, `&` and both quotes, for log text served inside HTML.
pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            other => out.push(other),
        }
    }
    out
}

/// Literals at least one of which each rule's match contains (lowercase), to skip rules cheaply.
const KEY_WORDS: [&str; 6] = ["token", "secret", "passw", "pwd", "key", "session"];
const USER_PATH_ROOTS: [&str; 5] = [
    "/home/",
    "/afs/cern.ch/user/",
    "/eos/",
    "/nfshome0/",
    "/Users/",
];
const HOST_PREFIXES: [&str; 4] = ["dqm-", "fu-", "bu-", "ru-"];

/// The free-text rules plus the configured machine names.
#[derive(Debug, Clone)]
pub struct Sanitizer {
    /// Configured machine names without `.cms`, longest first so a longer name is never half-replaced.
    machines: Vec<String>,
    /// Compiled on first use: a component that only censors host fields never pays for the patterns.
    rules: OnceLock<Rules>,
}

#[derive(Debug, Clone)]
struct Rules {
    cookie: Regex,
    bearer: Regex,
    key_value: Regex,
    jwt: Regex,
    email: Regex,
    user_path: Regex,
    host: Regex,
}

impl Default for Sanitizer {
    fn default() -> Self {
        Sanitizer::new(std::iter::empty::<&str>())
    }
}

impl Sanitizer {
    /// `machines`: every name of `FFF_PLAYBACK_MACHINES` and `FFF_PRODUCTION_MACHINES` (with or without `.cms`).
    pub fn new<I, S>(machines: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut machines: Vec<String> = machines
            .into_iter()
            .map(|m| {
                m.as_ref()
                    .trim()
                    .trim_end_matches(".cms")
                    .to_ascii_lowercase()
            })
            .filter(|m| !m.is_empty())
            .collect();
        machines.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        machines.dedup();
        Sanitizer {
            machines,
            rules: OnceLock::new(),
        }
    }

    fn rules(&self) -> &Rules {
        self.rules.get_or_init(Rules::compile)
    }
}

impl Rules {
    fn compile() -> Rules {
        // The patterns are constants, so a failure to compile is a programming error caught by every test.
        let re = |pattern: &str| Regex::new(pattern).expect("sanitiser pattern compiles");
        Rules {
            cookie: re(r"(?i)\b(cookie|set-cookie|authorization)\s*[:=]\s*[^\r\n]*"),
            bearer: re(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]+"),
            key_value: re(
                r#"(?i)\b(access_token|refresh_token|token|secret|password|passwd|pwd|api[_-]?key|session(?:id)?|selenium-secret-secret)\s*[=:]\s*[^\s&;,'"]+"#,
            ),
            jwt: re(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+"),
            email: re(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"),
            user_path: re(
                r"(/home/|/afs/cern\.ch/user/[^/\s]+/|/eos/user/[^/\s]+/|/eos/home-[^/\s]+/|/nfshome0/|/Users/)[^/\s]+/",
            ),
            host: re(r"\b(?:dqmfu|dqmrubu|dqm|fu|bu|ru)-[a-z0-9]+(?:-[0-9]{2}){1,2}(?:\.cms)?\b"),
        }
    }
}

impl Sanitizer {
    /// Every free-text rule, in an order where an earlier rule never exposes what a later one hides:
    /// whole cookie lines first, then tokens, then addresses, user names and host names.
    pub fn clean_text(&self, text: &str) -> String {
        // regex-lite has no literal prefilter of its own: skip each rule whose required literal is absent.
        let lower = text.to_ascii_lowercase();
        let has = |needle: &str| lower.contains(needle);
        let mut text = text.to_owned();
        if has("cookie") || has("authorization") {
            text = self
                .rules()
                .cookie
                .replace_all(&text, "$1: <redacted>")
                .into_owned();
        }
        if has("bearer") {
            text = self
                .rules()
                .bearer
                .replace_all(&text, "Bearer <redacted>")
                .into_owned();
        }
        if KEY_WORDS.iter().any(|k| has(k)) {
            text = self
                .rules()
                .key_value
                .replace_all(&text, "$1=<redacted>")
                .into_owned();
        }
        if text.contains("eyJ") {
            text = self.rules().jwt.replace_all(&text, "<token>").into_owned();
        }
        if text.contains('@') {
            text = self
                .rules()
                .email
                .replace_all(&text, "<email>")
                .into_owned();
        }
        if USER_PATH_ROOTS.iter().any(|root| text.contains(root)) {
            text = self
                .rules()
                .user_path
                .replace_all(&text, "${1}<user>/")
                .into_owned();
        }
        self.censor_hosts_in_text(&text)
    }

    /// Host names inside text: the configured machines (any case, with or without `.cms`), then the pattern.
    pub fn censor_hosts_in_text(&self, text: &str) -> String {
        let mut text = text.to_owned();
        let mut lower = text.to_ascii_lowercase();
        for machine in &self.machines {
            if lower.contains(machine.as_str()) {
                let censored = censor_host(machine);
                text = replace_ignore_ascii_case(&text, &format!("{machine}.cms"), &censored);
                text = replace_ignore_ascii_case(&text, machine, &censored);
                lower = text.to_ascii_lowercase();
            }
        }
        // The pattern needs a prefix and a `-NN` part (`dqm-source-state-…` ids have the one, not the other).
        if !HOST_PREFIXES.iter().any(|p| text.contains(p)) || !has_dash_and_two_digits(&text) {
            return text;
        }
        self.rules()
            .host
            .replace_all(&text, |caps: &Captures| censor_host(&caps[0]))
            .into_owned()
    }

    /// A served document id: the FU host segment (`…-host<name>-pid…`) is censored by the host rule,
    /// and any other host name inside (BU ids) by the text rule.
    pub fn censor_id(&self, id: &str) -> String {
        let id = match id.find("-host") {
            Some(start) => {
                let host_start = start + "-host".len();
                let host_end = id[host_start..]
                    .find("-pid")
                    .map_or(id.len(), |end| host_start + end);
                let host = &id[host_start..host_end];
                // An id that is served already (its host holds `..`) stays as it is.
                let censored = if host.contains("..") {
                    host.to_owned()
                } else {
                    censor_host(host)
                };
                format!("{}{censored}{}", &id[..host_start], &id[host_end..])
            }
            None => id.to_owned(),
        };
        self.censor_hosts_in_text(&id)
    }
}

fn has_dash_and_two_digits(text: &str) -> bool {
    text.as_bytes()
        .windows(3)
        .any(|w| w[0] == b'-' && w[1].is_ascii_digit() && w[2].is_ascii_digit())
}

/// Replaces every ASCII-case-insensitive occurrence of the lowercase `needle`.
fn replace_ignore_ascii_case(text: &str, needle: &str, replacement: &str) -> String {
    let lower = text.to_ascii_lowercase();
    if needle.is_empty() || !lower.contains(needle) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = 0;
    while let Some(pos) = lower[rest..].find(needle) {
        let at = rest + pos;
        out.push_str(&text[rest..at]);
        out.push_str(replacement);
        rest = at + needle.len();
    }
    out.push_str(&text[rest..]);
    out
}

#[cfg(test)]
mod tests;
