//! In-process render timings (p50/p90/p99 over many runs) for the issue-5 targets:
//! TH1F 266×200 ≤ 2 ms, TH2F 72×34 colz 266×200 ≤ 5 ms, 3-object overlay 800×600 ≤ 10 ms.
//! Run: `cargo bench -p render` (release profile).

#[path = "../tests/samples/mod.rs"]
mod samples;

use render::{render_not_found, render_overlay, Options, Rules};
use std::time::{Duration, Instant};

fn measure(name: &str, target_ms: f64, runs: usize, mut f: impl FnMut() -> usize) {
    // `BENCH_FILTER=ratio cargo bench -p render` runs only the matching cases.
    if std::env::var("BENCH_FILTER").is_ok_and(|f| !name.contains(&f)) {
        return;
    }
    for _ in 0..10 {
        f();
    }
    let mut times: Vec<Duration> = Vec::with_capacity(runs);
    let mut bytes = 0;
    for _ in 0..runs {
        let t = Instant::now();
        bytes = f();
        times.push(t.elapsed());
    }
    times.sort();
    let ms = |q: f64| times[((times.len() - 1) as f64 * q) as usize].as_secs_f64() * 1e3;
    let verdict = if ms(0.5) <= target_ms { "ok" } else { "OVER TARGET" };
    println!(
        "{name:<34} p50 {:>7.3} ms  p90 {:>7.3} ms  p99 {:>7.3} ms  (target p50 <= {target_ms} ms: {verdict}; png {bytes} B)",
        ms(0.5),
        ms(0.9),
        ms(0.99)
    );
}

fn main() {
    let rules = Rules::builtin();
    let opts = |q: &str| Options::from_query(samples::query_pairs(q)).unwrap();
    let th1 = vec![samples::number_of_tracks(123456)];
    let th2 = vec![samples::ebot_occupancy()];
    let overlay = vec![samples::number_of_tracks(123456), samples::number_of_tracks(123457), samples::third_tracks()];
    let nt_style = rules.style_for("Tracking/TrackParameters/GeneralProperties/NumberOfTracks");
    let plain = render::Style::default();
    let small = opts("");
    let big = opts("w=800&h=600&reflabel=run 123457&reflabel=simulation");
    measure("TH1F 266x200", 2.0, 500, || render_overlay(&th1, &small, &plain).unwrap().len());
    measure("TH1F 266x200 (rules)", 2.0, 500, || render_overlay(&th1, &small, &nt_style).unwrap().len());
    measure("TH2F 72x34 colz 266x200", 5.0, 500, || render_overlay(&th2, &small, &plain).unwrap().len());
    measure("overlay 3 objects 800x600", 10.0, 200, || render_overlay(&overlay, &big, &plain).unwrap().len());
    let ratio = opts("w=800&h=600&ref=ratiooverlay");
    measure("ratio overlay 3 objects 800x600", 10.0, 200, || render_overlay(&overlay, &ratio, &plain).unwrap().len());
    measure("ME not found 266x200", 2.0, 500, || render_not_found(266, 200).unwrap().len());
    let t = Instant::now();
    let n = Rules::builtin().len();
    println!("parse shipped rules.toml ({n} rules): {:.3} ms", t.elapsed().as_secs_f64() * 1e3);
}
