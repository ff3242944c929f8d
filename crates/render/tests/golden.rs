//! Golden images: every gallery case is rendered and compared with the committed PNG in
//! `docs/gallery/` with a small per-pixel tolerance. `UPDATE_GOLDEN=1` rewrites the PNGs and
//! `docs/gallery.md`.

mod samples;

use std::path::PathBuf;

fn gallery_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/gallery")
}

fn decode(png_bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let mut decoder = png::Decoder::new(png_bytes);
    decoder.set_transformations(png::Transformations::EXPAND); // indexed → RGB
    let mut reader = decoder.read_info().expect("PNG header");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("PNG data");
    assert_eq!(info.color_type, png::ColorType::Rgb);
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

/// Fraction of pixels whose channels differ by more than 24 levels.
fn differing_fraction(a: &[u8], b: &[u8]) -> f64 {
    let bad = a.chunks(3).zip(b.chunks(3)).filter(|(p, q)| p.iter().zip(q.iter()).any(|(x, y)| x.abs_diff(*y) > 24)).count();
    bad as f64 / (a.len() / 3).max(1) as f64
}

#[test]
fn gallery_matches_committed_images() {
    let rules = render::Rules::builtin();
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut md = String::from(
        "# Renderer gallery\n\nSynthetic plots that mimic the DQM fixture MEs, drawn by `crates/render` with the shipped \
         `rules.toml`. These PNGs are also the golden images of `cargo test -p render --test golden` \
         (regenerate with `UPDATE_GOLDEN=1`).\n\n| image | case | query |\n|---|---|---|\n",
    );
    let mut failures = Vec::new();
    for case in samples::cases() {
        let png = samples::render_case(&case, &rules);
        let file = gallery_dir().join(format!("{}.png", case.name));
        md.push_str(&format!("| ![{0}](gallery/{0}.png) | {1}<br>`{2}` | `{3}` |\n", case.name, case.caption, case.path, case.query));
        if update {
            std::fs::create_dir_all(gallery_dir()).unwrap();
            std::fs::write(&file, &png).unwrap();
            continue;
        }
        let Ok(reference) = std::fs::read(&file) else {
            failures.push(format!("{}: no reference image {}", case.name, file.display()));
            continue;
        };
        let (w, h, got) = decode(&png);
        let (rw, rh, want) = decode(&reference);
        if (w, h) != (rw, rh) {
            failures.push(format!("{}: size {w}x{h}, reference {rw}x{rh}", case.name));
            continue;
        }
        let diff = differing_fraction(&got, &want);
        if diff > 0.002 {
            failures.push(format!("{}: {:.3}% of pixels differ", case.name, diff * 100.0));
        }
    }
    if update {
        md.push_str(
            "\n## JSROOT side by side\n\nThe same data drawn by JSROOT 7 (`tools/jsroot-compare.mjs`); stats agree to the \
             last digit. Ours left, JSROOT right.\n\n| ours | JSROOT |\n|---|---|\n",
        );
        for name in ["th1f_600", "th1f_log", "th1f_charge", "th2f_colz"] {
            md.push_str(&format!("| ![{name}](gallery/{name}.png) | ![jsroot {name}](gallery/jsroot_{name}.png) |\n"));
        }
        std::fs::write(gallery_dir().join("../gallery.md"), md).unwrap();
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn tolerance_detects_a_changed_image() {
    let rules = render::Rules::builtin();
    let cases = samples::cases();
    let a = decode(&samples::render_case(&cases[0], &rules)).2;
    let b = decode(&samples::render_case(&cases[3], &rules)).2; // same ME, log y, other size
    let mut c = a.clone();
    c[..a.len() / 20].iter_mut().for_each(|v| *v = 255 - *v);
    assert!(differing_fraction(&a, &c) > 0.002);
    assert_eq!(differing_fraction(&a, &a), 0.0);
    assert_ne!(a.len(), b.len());
}
