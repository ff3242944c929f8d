//! Every key and object of the ROOT conformance corpus against the PyROOT dumps in `expected/`.

use rootfile::container::compression::block_headers;
use rootfile::models::{Axis, Histogram, Object};
use rootfile::{FileSource, ListedKey, RootFile};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/root-conformance");

fn corpus_files() -> Vec<String> {
    let mut out = Vec::new();
    for dir in ["", "skhep/", "perf/"] {
        let mut names: Vec<String> = std::fs::read_dir(format!("{CORPUS}/{dir}"))
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.ends_with(".root"))
            .map(|n| format!("{dir}{n}"))
            .collect();
        names.sort();
        out.extend(names);
    }
    out
}

/// Collects mismatches so that one run reports all of them.
struct Check {
    errors: Vec<String>,
    objects_checked: usize,
}

impl Check {
    fn eq<T: PartialEq + std::fmt::Debug>(&mut self, ctx: &str, got: T, want: T) {
        if got != want {
            self.errors.push(format!("{ctx}: got {got:?}, want {want:?}"));
        }
    }

    /// Bit-exact float comparison (values ROOT stored).
    fn exact(&mut self, ctx: &str, got: f64, want: &Value) {
        match want.as_f64() {
            Some(w) if w.to_bits() == got.to_bits() || (w == 0.0 && got == 0.0) => {}
            _ => self.errors.push(format!("{ctx}: got {got:?}, want {want}")),
        }
    }

    /// Values ROOT computed: relative tolerance.
    fn close(&mut self, ctx: &str, got: f64, want: &Value) {
        let w = want.as_f64().unwrap_or(f64::NAN);
        if (got - w).abs() > 1e-12 * w.abs().max(1.0) && (got - w).abs() > 1e-9 * w.abs() {
            self.errors.push(format!("{ctx}: got {got:?}, want {w:?}"));
        }
    }

    fn exact_vec(&mut self, ctx: &str, got: &[f64], want: &Value) {
        let Some(w) = want.as_array() else {
            return self.errors.push(format!("{ctx}: want is not an array: {want}"));
        };
        self.eq(&format!("{ctx} length"), got.len(), w.len());
        for (i, (g, w)) in got.iter().zip(w).enumerate() {
            self.exact(&format!("{ctx}[{i}]"), *g, w);
        }
    }

    fn close_vec(&mut self, ctx: &str, got: impl Iterator<Item = f64>, want: &Value) {
        let w = want.as_array().cloned().unwrap_or_default();
        let got: Vec<f64> = got.collect();
        self.eq(&format!("{ctx} length"), got.len(), w.len());
        for (i, (g, w)) in got.iter().zip(&w).enumerate() {
            self.close(&format!("{ctx}[{i}]"), *g, w);
        }
    }

    /// `null` when empty, else the exact values.
    fn optional_vec(&mut self, ctx: &str, got: &[f64], want: &Value) {
        if want.is_null() {
            self.eq(&format!("{ctx} (expected null)"), got.len(), 0);
        } else {
            self.exact_vec(ctx, got, want);
        }
    }
}

fn check_axis(c: &mut Check, ctx: &str, a: &Axis, want: &Value) {
    c.eq(&format!("{ctx}.name"), a.named.name.as_str(), want["name"].as_str().unwrap());
    c.eq(&format!("{ctx}.title"), a.named.title.as_str(), want["title"].as_str().unwrap());
    c.eq(&format!("{ctx}.nbins"), a.nbins as i64, want["nbins"].as_i64().unwrap());
    c.exact(&format!("{ctx}.xmin"), a.xmin, &want["xmin"]);
    c.exact(&format!("{ctx}.xmax"), a.xmax, &want["xmax"]);
    c.optional_vec(&format!("{ctx}.edges"), &a.xbins, &want["edges"]);
    let labels: Vec<(u32, String)> = a
        .labels
        .iter()
        .flat_map(|l| &l.items)
        .filter_map(|item| match &item.object {
            Some(Object::ObjString(s)) => Some((s.object.unique_id, s.string.clone())),
            _ => None,
        })
        .collect();
    let want_labels: Vec<(u32, String)> = want["labels"]
        .as_array()
        .map(|v| {
            v.iter().map(|l| (l["bin"].as_u64().unwrap() as u32, l["label"].as_str().unwrap().to_owned())).collect()
        })
        .unwrap_or_default();
    c.eq(&format!("{ctx}.labels"), labels, want_labels);
}

fn check_histogram(c: &mut Check, ctx: &str, h: &Histogram, want: &Value) {
    let t = &h.th1;
    c.eq(&format!("{ctx} class"), h.kind.class_name(), want["class"].as_str().unwrap());
    c.eq(&format!("{ctx} name"), t.named.name.as_str(), want["name"].as_str().unwrap());
    c.eq(&format!("{ctx} title"), t.named.title.as_str(), want["title"].as_str().unwrap());
    c.eq(&format!("{ctx} dimension"), h.dimension() as i64, want["dimension"].as_i64().unwrap());
    c.eq(&format!("{ctx} is_profile"), h.profile.is_some(), want["is_profile"].as_bool().unwrap());
    c.exact(&format!("{ctx} entries"), t.entries, &want["entries"]);
    c.eq(&format!("{ctx} ncells"), t.ncells as i64, want["ncells"].as_i64().unwrap());
    for (name, axis) in [("x", &t.xaxis), ("y", &t.yaxis), ("z", &t.zaxis)].into_iter().take(h.dimension() as usize) {
        check_axis(c, &format!("{ctx} axis {name}"), axis, &want["axes"][name]);
    }
    let contents = h.array.to_f64();
    if let Some(summary) = want.get("contents_summary") {
        check_summary(c, &format!("{ctx} contents"), &contents, summary);
        match want.get("sumw2_summary") {
            Some(s) => check_summary(c, &format!("{ctx} sumw2"), &t.sumw2, s),
            None => c.optional_vec(&format!("{ctx} sumw2"), &t.sumw2, &want["sumw2"]),
        }
    } else {
        c.exact_vec(&format!("{ctx} contents"), &contents, &want["contents"]);
        c.optional_vec(&format!("{ctx} sumw2"), &t.sumw2, &want["sumw2"]);
    }
    if let Some(p) = &h.profile {
        let wp = &want["profile"];
        c.eq(&format!("{ctx} error_option"), h.error_option(), wp["error_option"].as_str().unwrap());
        c.exact_vec(&format!("{ctx} bin_entries"), &p.bin_entries, &wp["bin_entries"]);
        c.optional_vec(&format!("{ctx} bin_sumw2"), &p.bin_sumw2, &wp["bin_sumw2"]);
        let n = t.ncells.max(0) as usize;
        c.close_vec(&format!("{ctx} bin_means"), (0..n).map(|b| h.bin_content(b)), &wp["bin_means"]);
        c.close_vec(&format!("{ctx} bin_errors"), (0..n).map(|b| h.bin_error(b)), &wp["bin_errors"]);
    }
    let stats = &want["stats"];
    for (key, want) in stats["stored"].as_object().unwrap() {
        let got = stored_member(h, key).unwrap_or_else(|| panic!("{ctx}: unknown stored member {key}"));
        c.exact(&format!("{ctx} {key}"), got, want);
    }
    c.close(&format!("{ctx} sum_of_weights"), h.sum_of_weights(), &stats["sum_of_weights"]);
    c.close(&format!("{ctx} effective_entries"), h.effective_entries(), &stats["effective_entries"]);
    let axes = stats["mean"].as_array().unwrap().len();
    c.close_vec(&format!("{ctx} mean"), (1..=axes).map(|a| h.mean(a)), &stats["mean"]);
    c.close_vec(&format!("{ctx} rms"), (1..=axes).map(|a| h.std_dev(a)), &stats["rms"]);
}

fn check_summary(c: &mut Check, ctx: &str, values: &[f64], want: &Value) {
    c.eq(&format!("{ctx} length"), values.len() as u64, want["length"].as_u64().unwrap());
    let mut sha = Sha256::new();
    for v in values {
        sha.update(v.to_le_bytes());
    }
    c.eq(&format!("{ctx} sha256"), hex(&sha.finalize()), want["sha256_le_f64"].as_str().unwrap().to_owned());
    for s in want["sampled_bins"].as_array().unwrap() {
        let bin = s["bin"].as_u64().unwrap() as usize;
        c.exact(&format!("{ctx}[{bin}]"), values.get(bin).copied().unwrap_or(f64::NAN), &s["content"]);
    }
}

/// A stored data member by its ROOT name.
fn stored_member(h: &Histogram, name: &str) -> Option<f64> {
    let t = &h.th1;
    let p = h.profile.as_ref();
    let h2 = h.th2.as_ref();
    let h3 = h.th3.as_ref();
    let profile_dim = h.profile.as_ref().map(|_| h.dimension());
    Some(match name {
        "fEntries" => t.entries,
        "fTsumw" => t.tsumw,
        "fTsumw2" => t.tsumw2,
        "fTsumwx" => t.tsumwx,
        "fTsumwx2" => t.tsumwx2,
        "fMaximum" => t.maximum,
        "fMinimum" => t.minimum,
        "fNormFactor" => t.norm_factor,
        "fBarOffset" => t.bar_offset as f64,
        "fBarWidth" => t.bar_width as f64,
        "fScalefactor" => h2?.scalefactor,
        "fTsumwy" if profile_dim == Some(1) => p?.tsumw_v,
        "fTsumwy2" if profile_dim == Some(1) => p?.tsumw_v2,
        "fTsumwy" => h2.map(|s| s.tsumwy).or(h3.map(|s| s.tsumwy))?,
        "fTsumwy2" => h2.map(|s| s.tsumwy2).or(h3.map(|s| s.tsumwy2))?,
        "fTsumwxy" => h2.map(|s| s.tsumwxy).or(h3.map(|s| s.tsumwxy))?,
        "fTsumwz" if profile_dim == Some(2) => p?.tsumw_v,
        "fTsumwz2" if profile_dim == Some(2) => p?.tsumw_v2,
        "fTsumwz" => h3?.tsumwz,
        "fTsumwz2" => h3?.tsumwz2,
        "fTsumwxz" => h3?.tsumwxz,
        "fTsumwyz" => h3?.tsumwyz,
        "fYmin" | "fZmin" => p?.min,
        "fYmax" | "fZmax" => p?.max,
        "fErrorMode" => p?.error_mode as f64,
        _ => return None,
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn check_object(c: &mut Check, ctx: &str, file: &RootFile<FileSource>, key: &ListedKey, payload: &[u8], want: &Value) {
    let kind = want["kind"].as_str().unwrap();
    if kind == "tree" {
        return; // TTrees are decoded by the dqm-formats crates.
    }
    if kind == "directory" {
        let dir = file.directory(&key.key).unwrap();
        c.eq(&format!("{ctx} nkeys"), dir.keys.len() as u64, want["nkeys"].as_u64().unwrap());
        return;
    }
    c.objects_checked += 1;
    let object = match rootfile::decode(&key.key.class_name, payload, key.key.key_len as u32) {
        Ok(o) => o,
        Err(e) => return c.errors.push(format!("{ctx}: {e}")),
    };
    match (&object, kind) {
        (Object::Histogram(h), "histogram") => check_histogram(c, ctx, h, want),
        (Object::ObjString(s), "objstring") => c.eq(ctx, s.string.as_str(), want["string"].as_str().unwrap()),
        (Object::StdString(s), "std_string") => c.eq(ctx, s.as_str(), want["string"].as_str().unwrap()),
        (Object::Named(n), "other") => {
            c.eq(&format!("{ctx} name"), n.name.as_str(), want["name"].as_str().unwrap());
            c.eq(&format!("{ctx} title"), n.title.as_str(), want["title"].as_str().unwrap());
        }
        (Object::Parameter(p), "other") => {
            c.eq(&format!("{ctx} name"), p.name.as_str(), want["name"].as_str().unwrap());
            c.exact(&format!("{ctx} value"), p.value, &want["value"]);
        }
        _ => c.errors.push(format!("{ctx}: decoded {} for an expected {kind}", object.class_name())),
    }
}

fn check_key(c: &mut Check, ctx: &str, file: &RootFile<FileSource>, key: &ListedKey, want: &Value) {
    let k = &key.key;
    let on_disk = want.get("class_on_disk").or(want.get("class")).and_then(Value::as_str).unwrap();
    c.eq(&format!("{ctx} class"), k.class_name.as_str(), on_disk);
    c.eq(&format!("{ctx} highest_cycle"), key.highest_cycle, want["highest_cycle"].as_bool().unwrap());
    c.eq(&format!("{ctx} seek_key"), k.seek_key, want["seek_key"].as_u64().unwrap());
    c.eq(&format!("{ctx} nbytes"), k.nbytes as i64, want["nbytes"].as_i64().unwrap());
    c.eq(&format!("{ctx} objlen"), k.obj_len as i64, want["objlen"].as_i64().unwrap());
    if let Some(v) = want.get("keylen") {
        c.eq(&format!("{ctx} keylen"), k.key_len as i64, v.as_i64().unwrap());
        c.eq(&format!("{ctx} seek_pdir"), k.seek_pdir, want["seek_pdir"].as_u64().unwrap());
    }
    if let Some(v) = want.get("title") {
        c.eq(&format!("{ctx} title"), k.title.as_str(), v.as_str().unwrap());
    }
    if let Some(v) = want.get("datime") {
        c.eq(&format!("{ctx} datime"), k.datime as u64, v.as_u64().unwrap());
    }
    if let Some(v) = want.get("compression") {
        let raw = file.source_bytes(k).unwrap();
        let got = if k.is_compressed() {
            let blocks = block_headers(&raw).unwrap();
            let sizes: Vec<Value> =
                blocks.iter().map(|b| serde_json::json!([b.compressed_len + 9, b.uncompressed_len])).collect();
            serde_json::json!({"algorithm": blocks[0].algorithm.tag(), "blocks": sizes})
        } else {
            Value::Null
        };
        c.eq(&format!("{ctx} compression"), &got, v);
    }
    if want.get("payload_sha256").is_none() && want.get("object").is_none() {
        return;
    }
    let payload = match file.payload(k) {
        Ok(payload) => payload,
        Err(e) => return c.errors.push(format!("{ctx}: {e}")),
    };
    if let Some(v) = want.get("payload_sha256") {
        c.eq(&format!("{ctx} payload sha256"), hex(&Sha256::digest(&payload)), v.as_str().unwrap().to_owned());
    }
    if let Some(object) = want.get("object") {
        check_object(c, ctx, file, key, &payload, object);
    }
}

fn check_file(c: &mut Check, rel: &str) {
    let base = rel.rsplit('/').next().unwrap();
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{CORPUS}/expected/{base}.json")).unwrap()).unwrap();
    let file = RootFile::open(FileSource::open(format!("{CORPUS}/{rel}")).unwrap(), base).unwrap();
    let h = file.header();
    let wf = &expected["file"];
    c.eq(&format!("{rel} version"), h.version as i64, wf["root_version_code"].as_i64().unwrap());
    c.eq(&format!("{rel} compress"), h.compress as i64, wf["compression_settings"].as_i64().unwrap());
    c.eq(&format!("{rel} end"), h.end, wf["end"].as_u64().unwrap());
    c.eq(&format!("{rel} seek_info"), h.seek_info, wf["seek_info"].as_u64().unwrap());
    c.eq(&format!("{rel} nbytes_info"), h.nbytes_info as i64, wf["nbytes_info"].as_i64().unwrap());

    let listing = file.list_recursive().unwrap();
    let want_keys = expected["keys"].as_array().unwrap();
    c.eq(&format!("{rel} key count"), listing.len(), want_keys.len());
    c.eq(&format!("{rel} summary nkeys"), listing.len() as u64, expected["summary"]["nkeys"].as_u64().unwrap());
    let by_path: HashMap<(Vec<String>, i64), &ListedKey> =
        listing.iter().map(|k| ((k.path.clone(), k.key.cycle as i64), k)).collect();
    for want in want_keys {
        let path: Vec<String> =
            want["path"].as_array().unwrap().iter().map(|p| p.as_str().unwrap().to_owned()).collect();
        let cycle = want["cycle"].as_i64().unwrap();
        let ctx = format!("{rel} {path:?};{cycle}");
        match by_path.get(&(path, cycle)) {
            Some(key) => check_key(c, &ctx, &file, key, want),
            None => c.errors.push(format!("{ctx}: key not listed")),
        }
    }
}

#[test]
fn corpus_matches_expected_dumps() {
    let files = corpus_files();
    assert_eq!(files.len(), 27, "corpus files: {files:?}");
    let mut c = Check { errors: Vec::new(), objects_checked: 0 };
    for rel in &files {
        check_file(&mut c, rel);
    }
    // Every dumped non-tree, non-directory object of the corpus.
    assert_eq!(c.objects_checked, 562, "objects decoded and compared");
    let shown: Vec<&String> = c.errors.iter().take(40).collect();
    assert!(c.errors.is_empty(), "{} mismatches, first ones:\n{shown:#?}", c.errors.len());
}
