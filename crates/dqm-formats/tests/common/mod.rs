//! Fixture paths and `expected.json` access shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// `tests/fixtures` at the repository root.
pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

pub fn dqm(name: &str) -> PathBuf {
    fixtures().join("dqm").join(name)
}

pub fn expected() -> serde_json::Value {
    let text = std::fs::read_to_string(dqm("expected.json")).expect("read expected.json");
    serde_json::from_str(&text).expect("parse expected.json")
}

pub const LEGACY_123456: &str =
    "DQM_V0001_R000123456__ZeroBias__Run2024A-PromptReco-v1__DQMIO.root";
pub const LEGACY_123457: &str =
    "DQM_V0001_R000123457__ZeroBias__Run2024A-PromptReco-v1__DQMIO.root";
pub const LEGACY_EDGE: &str = "DQM_V0001_R000999999__Edge__Cases-v1__DQMIO.root";
pub const DQMIO: &str = "DQMIO_R000123456_ZeroBias.root";
pub const PB: &str = "run123456_ls0003_streamDQMHistograms.pb";

use dqm_formats::{Decoded, DqmFile, Me, Scalar};
use rootfile::models::{Axis, Histogram, Object};
use serde_json::Value;

/// Relative closeness, with an absolute floor for values near zero.
pub fn close(a: f64, b: f64, rel: f64) -> bool {
    a == b || (a - b).abs() <= rel * a.abs().max(b.abs()).max(1e-300) || (a - b).abs() < 1e-12
}

fn axis_center(axis: &Axis, i: usize) -> f64 {
    if axis.xbins.len() > i {
        (axis.xbins[i - 1] + axis.xbins[i]) / 2.0
    } else {
        axis.xmin + (i as f64 - 0.5) * (axis.xmax - axis.xmin) / axis.nbins as f64
    }
}

fn nbins(h: &Histogram) -> Vec<usize> {
    let axes = [&h.th1.xaxis, &h.th1.yaxis, &h.th1.zaxis];
    axes[..h.dimension() as usize]
        .iter()
        .map(|a| a.nbins.max(0) as usize)
        .collect()
}

/// Bin content as ROOT's GetBinContent (profiles: the bin mean).
pub fn content(h: &Histogram, bin: usize) -> f64 {
    let raw = h.array.get(bin).unwrap_or(f64::NAN);
    match &h.profile {
        Some(p) => {
            let n = p.bin_entries.get(bin).copied().unwrap_or(0.0);
            if n == 0.0 {
                0.0
            } else {
                raw / n
            }
        }
        None => raw,
    }
}

/// Bin error as ROOT's GetBinError (profiles: error on the mean, kERRORMEAN).
pub fn error(h: &Histogram, bin: usize) -> f64 {
    match &h.profile {
        Some(p) => {
            let sum = p.bin_entries.get(bin).copied().unwrap_or(0.0);
            if sum == 0.0 {
                return 0.0;
            }
            let cont = h.array.get(bin).unwrap_or(0.0);
            let err2 = h.th1.sumw2.get(bin).copied().unwrap_or(0.0);
            let neff = match p.bin_sumw2.get(bin) {
                Some(w2) if *w2 > 0.0 => sum * sum / w2,
                _ => sum,
            };
            let mean = cont / sum;
            (err2 / sum - mean * mean).abs().sqrt() / neff.sqrt()
        }
        None => match h.th1.sumw2.get(bin) {
            Some(w2) => w2.sqrt(),
            None => h.array.get(bin).unwrap_or(0.0).abs().sqrt(),
        },
    }
}

/// ROOT's GetSumOfWeights and GetMean(1).
pub fn sum_and_mean(h: &Histogram) -> (f64, f64) {
    let n = nbins(h);
    let (nx, ny, nz) = (n[0], *n.get(1).unwrap_or(&1), *n.get(2).unwrap_or(&1));
    let (mut sum, mut sumx) = (0.0, 0.0);
    // ROOT uses x = 0 for bins of an alphanumeric (extendable) axis when it recomputes the stats.
    let labelled = h
        .th1
        .xaxis
        .labels
        .as_ref()
        .is_some_and(|l| !l.items.is_empty());
    let ranges = |k: usize, n: usize| {
        if k < h.dimension() as usize {
            1..=n
        } else {
            0..=0
        }
    };
    for k in ranges(2, nz) {
        for j in ranges(1, ny) {
            for i in 1..=nx {
                let b = h.global_bin(i, j, k);
                let c = content(h, b);
                sum += c;
                if !labelled {
                    sumx += h.array.get(b).unwrap_or(0.0) * axis_center(&h.th1.xaxis, i);
                }
            }
        }
    }
    let mean = if h.th1.tsumw != 0.0 {
        h.th1.tsumwx / h.th1.tsumw
    } else {
        // Filled with SetBinContent: ROOT recomputes the stats from the bins.
        let raw_sum: f64 = (1..=nx)
            .map(|i| h.array.get(h.global_bin(i, 0, 0)).unwrap_or(0.0))
            .sum();
        let total: f64 = if h.dimension() == 1 { raw_sum } else { sum };
        if total == 0.0 {
            0.0
        } else {
            sumx / total
        }
    };
    (sum, mean)
}

/// Checks one decoded ME against its `expected.json` entry; returns the mismatches.
pub fn check_me(file: &DqmFile<rootfile::FileSource>, me: &Me, want: &Value) -> Vec<String> {
    let mut bad = Vec::new();
    let path = me.path_string();
    let mut expect = |ok: bool, what: String| {
        if !ok {
            bad.push(format!("{path}: {what}"));
        }
    };
    expect(
        me.me_type.name() == want["type"],
        format!("type {} vs {}", me.me_type, want["type"]),
    );
    expect(
        me.efficiency == want["efficiency"].as_bool().unwrap_or(false),
        "efficiency".into(),
    );
    let qtests: Vec<Value> = me
        .qtests
        .iter()
        .map(|q| serde_json::json!({"name": q.name, "status": q.status, "result": q.result, "algorithm": q.algorithm, "message": q.message}))
        .collect();
    let want_qtests = want["qtests"].as_array().cloned().unwrap_or_default();
    expect(
        qtests == want_qtests,
        format!("qtests {qtests:?} vs {want_qtests:?}"),
    );
    let decoded = match file.decode(me) {
        Ok(d) => d,
        Err(e) => {
            expect(false, format!("decode failed: {e}"));
            return bad;
        }
    };
    match decoded {
        Decoded::Scalar(Scalar::Int(v)) => {
            expect(want["value"].as_i64() == Some(v), format!("value {v}"))
        }
        Decoded::Scalar(Scalar::Float(v)) => {
            expect(want["value"].as_f64() == Some(v), format!("value {v}"))
        }
        Decoded::Scalar(Scalar::String(v)) => expect(
            want["value"].as_str() == Some(v.as_str()),
            format!("value {v:?}"),
        ),
        Decoded::Object(Object::Histogram(h)) => {
            let rel = if matches!(h.array, rootfile::models::BinArray::D(_)) {
                1e-12
            } else {
                1e-6
            };
            expect(
                want["entries"].as_f64() == Some(h.th1.entries),
                format!("entries {}", h.th1.entries),
            );
            expect(
                want["title"].as_str() == Some(h.th1.named.title.as_str()),
                format!("title {:?}", h.th1.named.title),
            );
            let n = nbins(&h);
            expect(
                want["nbins"] == serde_json::json!(n),
                format!("nbins {n:?}"),
            );
            let x = [h.th1.xaxis.xmin, h.th1.xaxis.xmax];
            expect(
                want["xaxis"] == serde_json::json!(x),
                format!("xaxis {x:?}"),
            );
            let (sum, mean) = sum_and_mean(&h);
            expect(
                close(
                    sum,
                    want["sum_of_weights"].as_f64().unwrap_or(f64::NAN),
                    1e-9,
                ),
                format!("sum_of_weights {sum}"),
            );
            expect(
                close(mean, want["mean_x"].as_f64().unwrap_or(f64::NAN), 1e-9),
                format!("mean_x {mean}"),
            );
            for probe in want["probes"].as_array().into_iter().flatten() {
                let idx: Vec<usize> = probe["bin"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_u64().unwrap() as usize)
                    .collect();
                let b = h.global_bin(idx[0], *idx.get(1).unwrap_or(&0), *idx.get(2).unwrap_or(&0));
                let c = content(&h, b);
                expect(
                    close(c, probe["content"].as_f64().unwrap(), rel),
                    format!("bin {idx:?} content {c}"),
                );
                if let Some(e) = probe["error"].as_f64() {
                    let got = error(&h, b);
                    expect(
                        close(got, e, 1e-6),
                        format!("bin {idx:?} error {got} vs {e}"),
                    );
                }
            }
        }
        Decoded::Object(other) => expect(false, format!("decoded a {}", other.class_name())),
    }
    bad
}

/// Checks a listing against an `expected.json` ME array: same paths in order, and every ME matches.
pub fn check_listing(
    file: &DqmFile<rootfile::FileSource>,
    mes: &[Me],
    want: &[Value],
) -> Vec<String> {
    let got: Vec<String> = mes.iter().map(|m| m.path_string()).collect();
    let want_paths: Vec<&str> = want.iter().map(|w| w["path"].as_str().unwrap()).collect();
    if got != want_paths {
        return vec![format!(
            "paths differ:\n got  {got:?}\n want {want_paths:?}"
        )];
    }
    mes.iter()
        .zip(want)
        .flat_map(|(m, w)| check_me(file, m, w))
        .collect()
}

pub fn open(name: &str) -> DqmFile<rootfile::FileSource> {
    let path = dqm(name);
    DqmFile::open(
        rootfile::FileSource::open(&path).expect("open fixture"),
        name,
    )
    .expect("open DQM file")
}
