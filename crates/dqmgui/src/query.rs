//! The catalog queries: samples, datasets, latest_runs, lumis and the legacy samples list (§6.1, 6.4–6.6, 6.13).

use std::fmt::Write;

use rootfile::json::write_string;

use crate::pyjson::J;
use crate::schema::SampleId;

/// At most this many datasets or runs are returned.
pub const LIMIT: usize = 100;

/// `lumi=` of `/api/v1/samples`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LumiFilter {
    RunLevel,
    PerLumi,
    Exact(u32),
}

impl LumiFilter {
    /// Absent, empty or `0` → run level; `-1` → every per-lumi sample; `N > 0` → exactly N.
    pub fn parse(value: Option<&str>) -> Result<LumiFilter, &'static str> {
        match value.map(str::trim).unwrap_or("") {
            "" | "0" => Ok(LumiFilter::RunLevel),
            "-1" => Ok(LumiFilter::PerLumi),
            text => text.parse::<u32>().ok().filter(|n| *n > 0).map(LumiFilter::Exact).ok_or("lumi must be an integer >= -1"),
        }
    }

    fn accepts(self, lumi: u32) -> bool {
        match self {
            LumiFilter::RunLevel => lumi == 0,
            LumiFilter::PerLumi => lumi != 0,
            LumiFilter::Exact(n) => lumi == n,
        }
    }
}

/// Case-insensitive ASCII substring match; `%` and `_` are literal.
pub fn contains(haystack: &str, needle: &str) -> bool {
    needle.is_empty() || haystack.to_ascii_lowercase().contains(&needle.to_ascii_lowercase())
}

/// The samples that pass the filters, run descending, then dataset, then lumi.
pub fn filter<'a>(all: &'a [SampleId], run: &str, dataset: &str, lumi: LumiFilter) -> Vec<&'a SampleId> {
    // No run filter (the usual request) needs no run text.
    let run_matches = |s: &SampleId| run.is_empty() || contains(&s.run.to_string(), run);
    let mut hits: Vec<&SampleId> = all.iter().filter(|s| lumi.accepts(s.lumi) && run_matches(s) && contains(&s.dataset, dataset)).collect();
    hits.sort_by(|a, b| b.run.cmp(&a.run).then_with(|| a.dataset.cmp(&b.dataset)).then(a.lumi.cmp(&b.lumi)));
    hits
}

/// `{"data": [{"run", "lumi", "dataset"}]}`, written as text directly: the most requested catalog route, and
/// a value tree of every sample cost more than the filtering.
pub fn samples(all: &[SampleId], run: &str, dataset: &str, lumi: LumiFilter) -> J {
    let hits = filter(all, run, dataset, lumi);
    let mut out = String::with_capacity(16 + hits.len() * 96);
    out.push_str(r#"{"data": ["#);
    for (i, s) in hits.into_iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let _ = write!(out, r#"{{"run": {}, "lumi": {}, "dataset": "#, s.run, s.lumi);
        write_string(&mut out, &s.dataset);
        out.push('}');
    }
    out.push_str("]}");
    J::Raw(out)
}

/// Legacy `/data/json/samples`: one `offline_data` group with string runs (`"R:L"` when lumi ≠ 0).
pub fn legacy_samples(all: &[SampleId], run: &str, lumi: u32, dataset: &str) -> J {
    let items = filter(all, run, dataset, LumiFilter::Exact(lumi))
        .into_iter()
        .map(|s| {
            let run = if s.lumi == 0 { s.run.to_string() } else { format!("{}:{}", s.run, s.lumi) };
            J::Obj(vec![("run", J::Str(run)), ("dataset", J::str(&s.dataset))])
        })
        .collect();
    let group = J::Obj(vec![("type", J::str("offline_data")), ("items", J::Arr(items))]);
    J::Obj(vec![("samples", J::Arr(vec![group]))])
}

/// `{"datasets": [...]}`: distinct, ascending, at most [`LIMIT`].
pub fn datasets(all: &[SampleId], search: &str) -> J {
    let mut names: Vec<&str> = all.iter().map(|s| s.dataset.as_str()).filter(|d| contains(d, search)).collect();
    names.sort_unstable();
    names.dedup();
    names.truncate(LIMIT);
    J::Obj(vec![("datasets", J::Arr(names.into_iter().map(J::str).collect()))])
}

/// `{"runs": [...]}`: distinct, descending, at most [`LIMIT`].
pub fn latest_runs(all: &[SampleId], search: &str) -> J {
    let mut runs: Vec<u32> = all.iter().map(|s| s.run).filter(|r| contains(&r.to_string(), search)).collect();
    runs.sort_unstable_by(|a, b| b.cmp(a));
    runs.dedup();
    runs.truncate(LIMIT);
    J::Obj(vec![("runs", J::Arr(runs.into_iter().map(|r| J::Int(r as i64)).collect()))])
}

/// The bare array of the lumis registered for `(dataset, run)`, ascending.
pub fn lumis(all: &[SampleId], run: u32, dataset: &str) -> J {
    let mut lumis: Vec<u32> = all.iter().filter(|s| s.run == run && s.dataset == dataset).map(|s| s.lumi).collect();
    lumis.sort_unstable();
    lumis.dedup();
    J::Arr(lumis.into_iter().map(|l| J::Int(l as i64)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> Vec<SampleId> {
        let mut all = vec![
            SampleId::new("/ZeroBias/A/DQMIO", 123456, 0),
            SampleId::new("/ZeroBias/A/DQMIO", 123457, 0),
            SampleId::new("/Edge/Cases-v1/DQMIO", 999999, 0),
            SampleId::new("/Global/Online/ALL", 123456, 0),
        ];
        all.extend((0..4).map(|l| SampleId::new("/ZeroBias/A/DQMIOTREE", 123456, l)));
        all.push(SampleId::new("/X/y/z", 12, 10));
        all
    }

    #[test]
    fn lumi_semantics_and_order() {
        let all = catalog();
        let runs = |f| filter(&all, "", "", f).iter().map(|s| (s.run, s.lumi)).collect::<Vec<_>>();
        assert_eq!(runs(LumiFilter::RunLevel), [(999999, 0), (123457, 0), (123456, 0), (123456, 0), (123456, 0)]);
        assert_eq!(runs(LumiFilter::PerLumi), [(123456, 1), (123456, 2), (123456, 3), (12, 10)]);
        assert_eq!(runs(LumiFilter::Exact(1)), [(123456, 1)]);
        assert_eq!(LumiFilter::parse(Some("-2")), Err("lumi must be an integer >= -1"));
        assert_eq!(LumiFilter::parse(Some("x")), Err("lumi must be an integer >= -1"));
        assert_eq!(LumiFilter::parse(Some("")), Ok(LumiFilter::RunLevel));
        let order: Vec<&str> = filter(&all, "123456", "", LumiFilter::RunLevel).iter().map(|s| s.dataset.as_str()).collect();
        assert_eq!(order, ["/Global/Online/ALL", "/ZeroBias/A/DQMIO", "/ZeroBias/A/DQMIOTREE"]);
        assert_eq!(filter(&all, "457", "", LumiFilter::RunLevel).len(), 1);
        assert_eq!(filter(&all, "", "zero", LumiFilter::RunLevel).len(), 3);
        assert!(filter(&all, "", "%", LumiFilter::RunLevel).is_empty());
    }

    #[test]
    fn shapes() {
        let all = catalog();
        assert_eq!(latest_runs(&all, "").dump(), r#"{"runs": [999999, 123457, 123456, 12]}"#);
        assert_eq!(latest_runs(&all, "457").dump(), r#"{"runs": [123457]}"#);
        assert_eq!(datasets(&all, "zero").dump(), r#"{"datasets": ["/ZeroBias/A/DQMIO", "/ZeroBias/A/DQMIOTREE"]}"#);
        assert_eq!(lumis(&all, 123456, "/ZeroBias/A/DQMIOTREE").dump(), "[0, 1, 2, 3]");
        assert_eq!(lumis(&all, 1, "/No").dump(), "[]");
        let legacy = legacy_samples(&all, "123456", 2, "").dump();
        assert_eq!(legacy, r#"{"samples": [{"type": "offline_data", "items": [{"run": "123456:2", "dataset": "/ZeroBias/A/DQMIOTREE"}]}]}"#);
        assert_eq!(legacy_samples(&all, "1", 0, "nothing").dump(), r#"{"samples": [{"type": "offline_data", "items": []}]}"#);
        let tree: Vec<J> = filter(&all, "", "", LumiFilter::PerLumi)
            .into_iter()
            .map(|s| J::Obj(vec![("run", J::Int(s.run as i64)), ("lumi", J::Int(s.lumi as i64)), ("dataset", J::str(&s.dataset))]))
            .collect();
        assert_eq!(samples(&all, "", "", LumiFilter::PerLumi).dump(), J::Obj(vec![("data", J::Arr(tree))]).dump());
        assert_eq!(samples(&all, "", "nothing", LumiFilter::PerLumi).dump(), r#"{"data": []}"#);
    }
}
