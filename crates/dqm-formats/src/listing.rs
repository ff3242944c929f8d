//! The result of listing one sample: its MEs, sorted by path, plus the warnings for skipped entries.

use crate::me::Me;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Listing {
    pub mes: Vec<Me>,
    /// Entries skipped on purpose (unknown PB kinds, unknown DQMIO trees, TH2Poly, unknown tags).
    pub warnings: Vec<String>,
}

impl Listing {
    pub(crate) fn warn(&mut self, message: String) {
        self.warnings.push(message);
    }

    /// Sorts byte-wise by path (the order of the DQM GUI index).
    pub(crate) fn sort(&mut self) {
        // Joined paths, not component lists: '/' sorts after ' ', '+', '-' and '.'.
        self.mes.sort_by_cached_key(|m| m.path_string());
    }

    /// The ME whose `/`-joined path is `path`.
    pub fn find(&self, path: &str) -> Option<&crate::me::Me> {
        self.mes.iter().find(|m| m.path_string() == path)
    }
}
