//! Prints the gallery cases (1-D and 2-D mains) as JSON for `tools/jsroot-compare.mjs`.
#[path = "../tests/samples/mod.rs"]
mod samples;
/// A JSON array of numbers (the cases hold only finite values).
fn arr(v: &[f64]) -> String { format!("[{}]", v.iter().map(|x| format!("{x}")).collect::<Vec<_>>().join(",")) }
fn main() {
    let mut out = vec![];
    for c in samples::cases() {
        let Some(p) = c.plots.first() else { continue };
        let kind = match p.kind { render::Kind::H1 => "TH1F", render::Kind::H2 => "TH2F", render::Kind::Profile => "TH1F", _ => continue };
        out.push(format!("{{\"name\":\"{}\",\"query\":\"{}\",\"kind\":\"{kind}\",\"title\":{:?},\"nx\":{},\"xmin\":{},\"xmax\":{},\"ny\":{},\"ymin\":{},\"ymax\":{},\"xt\":{:?},\"yt\":{:?},\"c\":{},\"e\":{},\"entries\":{}}}",
            c.name, c.query, p.title, p.x.nbins, p.x.min, p.x.max, p.y.nbins.max(1), p.y.min, p.y.max.max(p.y.min + 1.0), p.x.title, p.y.title, arr(&p.contents), arr(&p.errors), p.entries));
    }
    println!("[{}]", out.join(",\n"));
}
