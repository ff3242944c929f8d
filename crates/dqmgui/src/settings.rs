//! The component's variables and clock, each fetched on first use: most routes need none of them, and inside a
//! component every fetch is a host call.

use std::cell::OnceCell;

use crate::routes::DEFAULT_HOST;
use crate::slots::DEFAULT_LIMIT;

/// Looks a variable up by name (`None`: unset or unreadable).
pub type Lookup = Box<dyn Fn(&str) -> Option<String>>;

/// `admin_token`, `host`, `import_concurrency` and the time, read once each, when a handler first asks.
pub struct Settings {
    lookup: Lookup,
    clock: Box<dyn Fn() -> u64>,
    admin_token: OnceCell<String>,
    host: OnceCell<String>,
    import_limit: OnceCell<usize>,
    now: OnceCell<u64>,
}

impl Settings {
    /// Settings read through `lookup` (variables) and `clock` (unix seconds).
    pub fn lazy(lookup: impl Fn(&str) -> Option<String> + 'static, clock: impl Fn() -> u64 + 'static) -> Settings {
        Settings {
            lookup: Box::new(lookup),
            clock: Box::new(clock),
            admin_token: OnceCell::new(),
            host: OnceCell::new(),
            import_limit: OnceCell::new(),
            now: OnceCell::new(),
        }
    }

    /// Fixed values (native use and tests): the admin token, `host` and `import_concurrency` defaults, time `now`.
    pub fn fixed(admin_token: &str, now: u64) -> Settings {
        let token = admin_token.to_owned();
        Settings::lazy(move |name| (name == "admin_token").then(|| token.clone()), move || now)
    }

    /// The `admin_token` variable; empty (or missing) means writes are refused.
    pub fn admin_token(&self) -> &str {
        self.admin_token.get_or_init(|| (self.lookup)("admin_token").unwrap_or_default())
    }

    /// What `/api/v1/host` answers: the `host` variable, [`DEFAULT_HOST`] when empty or missing.
    pub fn host(&self) -> &str {
        self.host.get_or_init(|| (self.lookup)("host").filter(|h| !h.is_empty()).unwrap_or_else(|| DEFAULT_HOST.to_owned()))
    }

    /// At most this many imports in flight over the whole store (`import_concurrency`, [`crate::slots`]).
    pub fn import_limit(&self) -> usize {
        *self.import_limit.get_or_init(|| (self.lookup)("import_concurrency").and_then(|v| v.parse().ok()).filter(|n| *n > 0).unwrap_or(DEFAULT_LIMIT))
    }

    /// Unix seconds, stamped on registrations.
    pub fn now(&self) -> u64 {
        *self.now.get_or_init(|| (self.clock)())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;
    use std::rc::Rc;

    #[test]
    fn each_variable_is_looked_up_once_and_only_when_asked() {
        let calls = Rc::new(Cell::new(0));
        let counted = calls.clone();
        let settings = Settings::lazy(
            move |name| {
                counted.set(counted.get() + 1);
                match name {
                    "host" => Some(String::new()),
                    "import_concurrency" => Some("7".into()),
                    _ => None,
                }
            },
            || 42,
        );
        assert_eq!(calls.get(), 0);
        assert_eq!((settings.host(), settings.host()), (DEFAULT_HOST, DEFAULT_HOST));
        assert_eq!((settings.import_limit(), settings.admin_token(), settings.now()), (7, "", 42));
        settings.admin_token();
        assert_eq!(calls.get(), 3);
        assert_eq!(Settings::fixed("t", 1).admin_token(), "t");
        assert_eq!(Settings::fixed("t", 1).import_limit(), DEFAULT_LIMIT);
    }
}
