//! Behaviour through the public API: sizes, option effects (a 0 limit is honoured), scalars, errors.

mod samples;

use render::{render, render_overlay, Axis, Options, Plot, Rules, Style};

fn decode(png_bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let mut decoder = png::Decoder::new(png_bytes);
    decoder.set_transformations(png::Transformations::EXPAND); // indexed → RGB
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

fn colours(rgb: &[u8]) -> usize {
    let mut set: Vec<&[u8]> = rgb.chunks(3).collect();
    set.sort();
    set.dedup();
    set.len()
}

fn q(s: &str) -> Options {
    Options::from_query(samples::query_pairs(s)).unwrap()
}

#[test]
fn every_case_renders_at_both_standard_sizes() {
    let rules = Rules::builtin();
    for case in samples::cases().into_iter().filter(|c| !c.plots.is_empty()) {
        for (w, h) in [(266, 200), (800, 600)] {
            let mut opts = Options::from_query(samples::query_pairs(case.query)).unwrap();
            opts.width = w;
            opts.height = h;
            let png = render_overlay(&case.plots, &opts, &rules.style_for(case.path)).unwrap();
            let (pw, ph, rgb) = decode(&png);
            assert_eq!((pw, ph), (w, h), "{}", case.name);
            assert!(colours(&rgb) > 1, "{} is blank", case.name);
        }
    }
}

#[test]
fn a_zero_lower_limit_changes_the_image() {
    let p = Plot::h1("h", "signed", Axis::uniform(3, 0.0, 3.0), vec![-5.0, 3.0, 8.0]);
    let style = Style::default();
    let auto = render(&p, &q(""), &style).unwrap();
    let zero = q("ymin=0&ymax=50");
    assert_eq!(zero.limits[1].min, Some(0.0));
    assert_ne!(decode(&auto).2, decode(&render(&p, &zero, &style).unwrap()).2);
}

#[test]
fn options_change_the_picture() {
    let p = samples::number_of_tracks(123456);
    let style = Style::default();
    let base = decode(&render(&p, &q(""), &style).unwrap()).2;
    for variant in ["ytype=log", "errors=true", "stats=false", "xmin=20", "drawopts=p", "xmax=50"] {
        assert_ne!(decode(&render(&p, &q(variant), &style).unwrap()).2, base, "{variant} had no effect");
    }
}

#[test]
fn not_found_and_scalars_are_centred_text() {
    let (w, h, rgb) = decode(&render::render_not_found(266, 200).unwrap());
    assert_eq!((w, h), (266, 200));
    let dark: Vec<usize> = rgb.chunks(3).enumerate().filter(|(_, p)| p[0] < 100).map(|(i, _)| i).collect();
    assert!(!dark.is_empty());
    let rows: Vec<usize> = dark.iter().map(|i| i / 266).collect();
    let (top, bottom) = (*rows.iter().min().unwrap(), *rows.iter().max().unwrap());
    assert!(top > 80 && bottom < 120, "text rows {top}..{bottom}");
    let png = render(&Plot::scalar("iRun", "123456"), &Options::default(), &Style::default()).unwrap();
    assert_eq!(decode(&png).0, 266);
}
