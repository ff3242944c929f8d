//! Decoded MEs as the renderer's input model ([`render::Plot`]): in-range bins x fastest, profile means and
//! errors, axis labels, stats from the stored sums. Feature `render`.

use dqm_formats::{scalar_text, Decoded};
use render::{Axis, Kind, Plot, Stats};
use rootfile::models::{Axis as RootAxis, Histogram, Object};

/// The plot of a decoded ME; `None` for objects that are neither histograms nor scalars.
pub fn from_decoded(name: &str, decoded: &Decoded, efficiency: bool) -> Option<Plot> {
    let mut plot = match decoded {
        Decoded::Scalar(value) => Plot::scalar(name, &scalar_text(value)),
        Decoded::Object(Object::Histogram(h)) => from_histogram(h),
        Decoded::Object(_) => return None,
    };
    plot.efficiency = efficiency;
    Some(plot)
}

fn axis(a: &RootAxis) -> Axis {
    let nbins = a.nbins.max(0) as usize;
    let mut labels = Vec::new();
    if let Some(list) = &a.labels {
        for item in &list.items {
            if let Some(Object::ObjString(s)) = &item.object {
                // fUniqueID is the 1-based bin number.
                let bin = s.object.unique_id as usize;
                if (1..=nbins).contains(&bin) {
                    labels.resize(nbins, String::new());
                    labels[bin - 1] = s.string.clone();
                }
            }
        }
    }
    Axis { nbins, min: a.xmin, max: a.xmax, edges: a.xbins.clone(), labels, title: a.named.title.clone() }
}

pub fn from_histogram(h: &Histogram) -> Plot {
    let t = &h.th1;
    let dim = h.kind.dim as usize;
    let kind = match (dim, h.kind.profile) {
        (1, true) => Kind::Profile,
        (2, true) => Kind::Profile2D,
        (1, false) => Kind::H1,
        (2, false) => Kind::H2,
        _ => Kind::H3,
    };
    let (x, y, z) = (axis(&t.xaxis), if dim >= 2 { axis(&t.yaxis) } else { Axis::default() }, if dim >= 3 { axis(&t.zaxis) } else { Axis::default() });
    let n = |a: &Axis, used: bool| if used { a.nbins } else { 1 };
    let (nx, ny, nz) = (n(&x, true), n(&y, dim >= 2), n(&z, dim >= 3));
    let (sx, sy) = (x.nbins + 2, if dim >= 2 { y.nbins + 2 } else { 1 });
    let cell = |ix: usize, iy: usize, iz: usize| {
        let (iy, iz) = (if dim >= 2 { iy + 1 } else { 0 }, if dim >= 3 { iz + 1 } else { 0 });
        ix + 1 + sx * (iy + sy * iz)
    };
    let mut plot = Plot::new(kind, &t.named.name, &t.named.title, x, y, z, Vec::with_capacity(nx * ny * nz));
    let value = |g: usize| h.array.get(g).unwrap_or(0.0);
    let sumw2 = |g: usize| t.sumw2.get(g).copied();
    // Profiles: Σwy, Σwy², Σw and Σw² of every plotted bin, turned into means and errors by the renderer.
    let mut sums: [Vec<f64>; 4] = Default::default();
    for iz in 0..nz {
        for iy in 0..ny {
            for ix in 0..nx {
                let g = cell(ix, iy, iz);
                match &h.profile {
                    Some(p) => {
                        let entries = p.bin_entries.get(g).copied().unwrap_or(0.0);
                        for (sum, v) in sums.iter_mut().zip([value(g), sumw2(g).unwrap_or(0.0), entries, p.bin_sumw2.get(g).copied().unwrap_or(0.0)]) {
                            sum.push(v);
                        }
                        plot.bin_entries.push(entries);
                    }
                    None => {
                        plot.contents.push(value(g));
                        if let Some(w2) = sumw2(g) {
                            plot.errors.push(w2.max(0.0).sqrt());
                        }
                    }
                }
            }
        }
    }
    if h.profile.is_some() {
        (plot.contents, plot.errors) = render::profile_bins(&sums[0], &sums[1], &sums[2], &sums[3]);
    }
    if plot.errors.len() != plot.contents.len() {
        plot.errors.clear();
    }
    plot.entries = t.entries;
    if t.tsumw > 0.0 {
        let moment = |sum: f64, sum2: f64| {
            let mean = sum / t.tsumw;
            (mean, (sum2 / t.tsumw - mean * mean).max(0.0).sqrt())
        };
        let (mx, rx) = moment(t.tsumwx, t.tsumwx2);
        let (my, ry) = match (&h.th2, &h.th3, &h.profile) {
            (Some(s), _, _) => moment(s.tsumwy, s.tsumwy2),
            (_, Some(s), _) => moment(s.tsumwy, s.tsumwy2),
            (_, _, Some(p)) if dim == 1 => moment(p.tsumw_v, p.tsumw_v2),
            _ => (0.0, 0.0),
        };
        plot.stats = Some(Stats { mean: [mx, my], rms: [rx, ry] });
    }
    plot
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::melist::MeList;
    use dqm_formats::DqmFile;
    use rootfile::FileSource;

    fn decode(file: &str, path: &str) -> (Decoded, bool) {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/dqm");
        let file = DqmFile::open(FileSource::open(dir.join(file)).unwrap(), file).unwrap();
        let list = MeList::from_mes(&file.list(123456, 0).unwrap().mes);
        let i = list.find(path).unwrap();
        let me = list.me(i, 123456, 0).unwrap();
        (file.decode(&me).unwrap(), me.efficiency)
    }

    const LEGACY: &str = "DQM_V0001_R000123456__ZeroBias__Run2024A-PromptReco-v1__DQMIO.root";

    #[test]
    fn histograms_convert_and_validate() {
        for path in [
            "Tracking/TrackParameters/GeneralProperties/NumberOfTracks",
            "Tracking/TrackParameters/GeneralProperties/NumberOfRecHitsPerTrackVsEta",
            "Tracking/TrackParameters/GeneralProperties/TrackEtaPhi",
            "EcalBarrel/EBTimingTask/EBTMT timing map",
            "Info/EventInfo/reportSummaryMap",
            "Info/EventInfo/iRun",
        ] {
            let (decoded, eff) = decode(LEGACY, path);
            let plot = from_decoded("x", &decoded, eff).unwrap();
            plot.validate().unwrap_or_else(|e| panic!("{path}: {e}"));
        }
        let (decoded, _) = decode(LEGACY, "Tracking/TrackParameters/GeneralProperties/NumberOfTracks");
        let plot = from_decoded("x", &decoded, false).unwrap();
        assert_eq!((plot.kind.clone(), plot.x.nbins, plot.contents.len()), (Kind::H1, 100, 100));
        assert!(plot.stats.is_some() && plot.entries > 0.0);
        let (rsm, _) = decode(LEGACY, "Info/EventInfo/reportSummaryMap");
        assert!(from_decoded("x", &rsm, false).unwrap().y.has_labels() || from_decoded("x", &rsm, false).unwrap().x.has_labels());
        let (eff, flag) = decode(LEGACY, "Tracking/TrackParameters/GeneralProperties/TrackEfficiency");
        assert!(flag && from_decoded("x", &eff, flag).unwrap().efficiency);
    }

    /// Bin contents (profiles: means) equal the probes ROOT wrote into expected.json.
    #[test]
    fn contents_match_the_root_probes() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/dqm");
        let expected: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
        let mut checked = 0;
        for me in expected["fixtures"][LEGACY]["mes"].as_array().unwrap() {
            let Some(probes) = me["probes"].as_array() else { continue };
            let (decoded, eff) = decode(LEGACY, me["path"].as_str().unwrap());
            let plot = from_decoded("x", &decoded, eff).unwrap();
            for probe in probes {
                let bin: Vec<usize> = probe["bin"].as_array().unwrap().iter().map(|b| b.as_u64().unwrap() as usize - 1).collect();
                let i = bin[0] + plot.x.nbins * (bin.get(1).copied().unwrap_or(0) + plot.y.nbins.max(1) * bin.get(2).copied().unwrap_or(0));
                let want = probe["content"].as_f64().unwrap();
                assert!((plot.contents[i] - want).abs() <= 1e-6 * want.abs().max(1.0), "{}: bin {bin:?}", me["path"]);
                checked += 1;
            }
        }
        assert!(checked > 30, "{checked}");
    }
}
