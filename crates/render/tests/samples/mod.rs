//! Synthetic plots that mimic the DQM fixture MEs (same binning, titles and shapes), shared by the
//! golden tests, the gallery example and the benchmark.
#![allow(dead_code)]

use render::{Axis, Kind, Plot};

/// A small deterministic PRNG (xorshift64*), so images are reproducible.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn gauss(&mut self) -> f64 {
        let (u, v) = (self.uniform().max(1e-12), self.uniform());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

/// Fills `n` samples of `draw` into a uniform TH1 and sets entries.
fn fill1(name: &str, title: &str, x: Axis, n: usize, mut draw: impl FnMut() -> f64) -> Plot {
    let mut c = vec![0.0; x.nbins];
    for _ in 0..n {
        let v = draw();
        if v >= x.min && v < x.max {
            let i = ((v - x.min) / (x.max - x.min) * x.nbins as f64) as usize;
            c[i.min(x.nbins - 1)] += 1.0;
        }
    }
    let mut p = Plot::h1(name, title, x, c);
    p.entries = n as f64;
    p
}

pub fn number_of_tracks(run: u64) -> Plot {
    let (mean, n) = if run == 123456 { (24.5, 1000) } else { (29.9, 600) };
    let mut r = Rng::new(run);
    let x = Axis::uniform(100, -0.5, 99.5).titled("Number of Tracks");
    let mut p = fill1("NumberOfTracks", "Number of Tracks", x, n, || mean + 5.0 * r.gauss());
    p.y.title = "Number of Events".into();
    p
}

pub fn third_tracks() -> Plot {
    let mut r = Rng::new(7);
    let x = Axis::uniform(100, -0.5, 99.5).titled("Number of Tracks");
    fill1("NumberOfTracks", "Number of Tracks", x, 800, || 35.0 + 7.0 * r.gauss())
}

pub fn charge() -> Plot {
    let mut r = Rng::new(3);
    let x = Axis::uniform(80, 0.0, 80000.0).titled("Charge [electrons]");
    // A Landau-like tail: most probable ~ 20k electrons.
    fill1("charge_PXLayer_1", "Cluster charge (Layer 1)", x, 1000, || 18000.0 + 4000.0 * (r.gauss().abs() + (-r.uniform().max(1e-9).ln()) * 1.5))
}

pub fn track_pt() -> Plot {
    let mut r = Rng::new(4);
    let x = Axis::uniform(50, 0.0, 50.0).titled("p_{T} [GeV]");
    fill1("TrackPt", "Track p_{T}", x, 5000, || -4.0 * r.uniform().max(1e-12).ln())
}

pub fn jet_pt() -> Plot {
    let mut r = Rng::new(12);
    let x = Axis::uniform(60, 0.0, 300.0).titled("p_{T} [GeV]");
    let mut p = fill1("Pt", "Jet p_{T}", x, 3985, || 20.0 - 30.0 * r.uniform().max(1e-12).ln());
    p.y.title = "Jets / 5 GeV".into();
    p
}

pub fn efficiency() -> Plot {
    let mut r = Rng::new(5);
    let x = Axis::uniform(20, -2.5, 2.5).titled("#eta");
    let c: Vec<f64> = (0..20).map(|i| 0.97 - 0.08 * ((i as f64 - 9.5) / 9.5).powi(2) - 0.02 * r.uniform()).collect();
    let mut p = Plot::h1("TrackEfficiency", "Tracking efficiency vs #eta", x, c);
    p.errors = vec![0.02; 20];
    p.efficiency = true;
    p.entries = 20.0;
    p
}

pub fn njets() -> Plot {
    let mut r = Rng::new(6);
    let x = Axis::uniform(20, -0.5, 19.5).titled("N_{jets}");
    fill1("NJets", "Number of jets", x, 1000, || (-3.9 * r.uniform().max(1e-12).ln()).floor())
}

pub fn rechits_profile() -> Plot {
    let x = Axis::uniform(30, -3.0, 3.0).titled("#eta");
    let c: Vec<f64> = (0..30).map(|i| 14.5 + 3.5 * x.center(i).abs()).collect();
    let mut p = Plot::new(Kind::Profile, "NumberOfRecHitsPerTrackVsEta", "RecHits per track vs #eta", x, Axis::default().titled("<N hits>"), Axis::default(), c);
    p.errors = vec![0.15; 30];
    p.bin_entries = vec![160.0; 30];
    p.entries = 5000.0;
    p
}

pub fn ebot_occupancy() -> Plot {
    let mut r = Rng::new(8);
    let (nx, ny) = (72, 34);
    let c: Vec<f64> = (0..nx * ny).map(|_| if r.uniform() < 0.3 { 0.0 } else { 1.0 + r.below(4) as f64 + if r.uniform() < 0.03 { 3.0 } else { 0.0 } }).collect();
    let mut p = Plot::h2("EBOT digi occupancy", "EBOT digi occupancy", Axis::uniform(nx, 0.0, 360.0).titled("iphi"), Axis::uniform(ny, -85.0, 85.0).titled("ieta"), c);
    p.entries = 3000.0;
    p
}

pub fn ebtmt_timing() -> Plot {
    let mut r = Rng::new(9);
    let (nx, ny) = (36, 17);
    let c: Vec<f64> = (0..nx * ny).map(|_| 1.5 * r.gauss()).collect();
    let mut p = Plot::new(Kind::Profile2D, "EBTMT timing map", "EBTMT timing map", Axis::uniform(nx, 0.0, 360.0).titled("iphi"), Axis::uniform(ny, -85.0, 85.0).titled("ieta"), Axis::default(), c);
    p.bin_entries = (0..nx * ny).map(|i| if i % 29 == 0 { 0.0 } else { 5.0 }).collect();
    p.errors = vec![0.3; nx * ny];
    p.entries = 3000.0;
    p
}

pub fn report_summary_map() -> Plot {
    let c: Vec<f64> = (0..50).map(|i| if i == 23 { 0.0 } else if i % 17 == 0 { 0.5 } else { 1.0 }).collect();
    let y = Axis::uniform(5, 0.0, 5.0).with_labels(&["HV", "GT", "DCS", "Lumi", "Beam"]);
    let mut p = Plot::h2("reportSummaryMap", "HV and GT vs Lumi", Axis::uniform(10, 0.5, 10.5).titled("Luminosity Section"), y, c);
    p.entries = 50.0;
    p
}

pub fn track_eta_phi() -> Plot {
    let mut r = Rng::new(10);
    let c: Vec<f64> = (0..30 * 32).map(|i| (5.0 + 3.0 * r.gauss() + if i % 30 == 15 { 8.0 } else { 0.0 }).max(0.0).round()).collect();
    let mut p = Plot::h2("TrackEtaPhi", "Track #eta vs #phi", Axis::uniform(30, -3.0, 3.0).titled("#eta"), Axis::uniform(32, -3.2, 3.2).titled("#phi"), c);
    p.entries = 5000.0;
    p
}

pub fn labels() -> Plot {
    let x = Axis::uniform(3, 0.0, 3.0).with_labels(&["CSC", "DT", "RPC"]);
    Plot::h1("labels", "alphanumeric x labels", x, vec![1.0, 1.0, 1.0])
}

pub fn many_labels() -> Plot {
    let names: Vec<String> = (1..=40).map(|i| format!("FED {}", 1200 + i)).collect();
    let refs: Vec<&str> = names.iter().map(|s| s.as_str()).collect();
    let x = Axis::uniform(40, 0.0, 40.0).with_labels(&refs);
    Plot::h1("num_feddigis", "Digis per FED", x, (0..40).map(|i| 100.0 + (i * 37 % 23) as f64 * 10.0).collect())
}

pub fn variable_bins() -> Plot {
    let x = Axis::uniform(4, 0.0, 10.0).with_edges(&[0.0, 1.0, 2.0, 5.0, 10.0]);
    Plot::h1("variable_bins", "variable bin edges", x, vec![1.0, 2.0, 3.0, 1.0])
}

pub fn empty() -> Plot {
    Plot::h1("empty", "no entries", Axis::uniform(10, 0.0, 1.0), vec![0.0; 10])
}

pub fn h2s() -> Plot {
    let c: Vec<f64> = (0..12).map(|i| (i % 5) as f64).collect();
    Plot::h2("h2s", "TH2S example", Axis::uniform(4, 0.0, 4.0), Axis::uniform(3, 0.0, 3.0), c)
}

pub fn h3f() -> Plot {
    let c: Vec<f64> = (0..27).map(|i| [0.0, 1.0, 3.0, 10.0, 40.0][i * 7 % 5]).collect();
    let mut p = Plot::new(Kind::H3, "h3f", "TH3F example", Axis::uniform(3, 0.0, 3.0), Axis::uniform(3, 0.0, 3.0), Axis::uniform(3, 0.0, 3.0), c);
    p.entries = c_sum(&p);
    p
}

fn c_sum(p: &Plot) -> f64 {
    p.contents.iter().sum()
}

pub fn cluster_size() -> Plot {
    let mut r = Rng::new(11);
    fill1("size_PXLayer_1", "Cluster size (TH1I)", Axis::uniform(20, 0.5, 20.5).titled("size [pixels]"), 200, || 1.0 + (-3.0 * r.uniform().max(1e-12).ln()))
}

pub fn tiny_values() -> Plot {
    let x = Axis::uniform(25, 0.0, 0.0005).titled("residual [cm]");
    let c: Vec<f64> = (0..25).map(|i| 2.0e6 * (-((i as f64 - 12.0) / 5.0).powi(2)).exp()).collect();
    Plot::h1("residual", "Residuals (large counts, small x)", x, c)
}

pub fn scalar_int() -> Plot {
    Plot::scalar("iRun", "123456")
}

pub fn scalar_float() -> Plot {
    Plot::scalar("reportSummary", "0.987")
}

pub fn scalar_string() -> Plot {
    Plot::scalar("string with spaces", "hello world <b>bold</b>")
}

/// One gallery / golden image: the plots (main first; none = "ME not found"), the query string
/// and the ME path that selects the render rules.
pub struct Case {
    pub name: &'static str,
    pub caption: &'static str,
    pub path: &'static str,
    pub query: &'static str,
    pub plots: Vec<Plot>,
}

const NT: &str = "Tracking/TrackParameters/GeneralProperties/NumberOfTracks";
const EBOT: &str = "EcalBarrel/EBOccupancyTask/EBOT digi occupancy";

pub fn cases() -> Vec<Case> {
    let c = |name, caption, path, query, plots| Case { name, caption, path, query, plots };
    let nt = number_of_tracks(123456);
    let nt2 = number_of_tracks(123457);
    vec![
        c("th1f", "TH1F NumberOfTracks, defaults (266×200)", NT, "", vec![nt.clone()]),
        c("th1f_600", "TH1F NumberOfTracks at 600×400", NT, "w=600&h=400", vec![nt.clone()]),
        c("th1f_errors", "errors=true: error bars instead of the outline", NT, "w=400&h=300&errors=true", vec![nt.clone()]),
        c("th1f_log", "ytype=log", NT, "w=400&h=300&ytype=log", vec![nt.clone()]),
        c("th1f_range", "xmin=10&xmax=45&ymin=0&ymax=120, no stats", NT, "w=400&h=300&xmin=10&xmax=45&ymin=0&ymax=120&stats=false", vec![nt.clone()]),
        c("th1f_markers", "drawopts=pl: markers joined by a line", NT, "w=400&h=300&drawopts=pl", vec![nt.clone()]),
        c("th1f_charge", "charge_PXLayer_1: 80000 on x, filled by a rule", "PixelPhase1/Phase1_MechanicalView/PXBarrel/charge_PXLayer_1", "w=400&h=300", vec![charge()]),
        c("th1f_trackpt_log", "TrackPt: log y from a rule", "Tracking/TrackParameters/GeneralProperties/TrackPt", "w=400&h=300", vec![track_pt()]),
        c("th1f_efficiency", "TrackEfficiency: y fixed to [0, 1], threshold line and band from a rule", "Tracking/TrackParameters/GeneralProperties/TrackEfficiency", "w=400&h=300", vec![efficiency()]),
        c("th1s_njets", "TH1S NJets", "JetMET/Jet/ak4PFJets/NJets", "", vec![njets()]),
        c("th1s_text", "drawopts=text: bin values above the bins", "JetMET/Jet/ak4PFJets/NJets", "w=400&h=300&drawopts=hist text", vec![njets()]),
        c("th1i_size", "TH1I cluster size, log x from a rule", "Edge/Types/size_PXLayer_1", "w=400&h=300", vec![cluster_size()]),
        c("th1f_small_x", "Large counts over a tiny x range: ×10ⁿ on both axes", "Edge/Other/residual", "w=400&h=300", vec![tiny_values()]),
        c("th1f_labels", "Alphanumeric x labels (vertical by a rule)", "Edge/Labels/labels", "w=400&h=300", vec![labels()]),
        c("th1f_many_labels", "40 long bin labels at 266×200: vertical and thinned", "Edge/Other/num_feddigis", "", vec![many_labels()]),
        c("th1f_variable_bins", "Variable bin edges [0, 1, 2, 5, 10]", "Edge/Binning/variable_bins", "w=400&h=300", vec![variable_bins()]),
        c("th1f_empty", "An empty histogram", "Edge/Binning/empty", "", vec![empty()]),
        c("tprofile", "TProfile: points with error bars", "Tracking/TrackParameters/GeneralProperties/NumberOfRecHitsPerTrackVsEta", "w=400&h=300", vec![rechits_profile()]),
        c("th2f_colz", "TH2F 72×34 colz (blues palette and grid from a rule)", EBOT, "w=600&h=400", vec![ebot_occupancy()]),
        c("th2f_colz_small", "TH2F 72×34 colz at 266×200", EBOT, "", vec![ebot_occupancy()]),
        c("th2f_logz", "drawopts=colz&ztype=log", EBOT, "w=600&h=400&ztype=log&stats=false", vec![ebot_occupancy()]),
        c("tprofile2d", "TProfile2D: colz of bin means, fixed z range from a rule", "EcalBarrel/EBTimingTask/EBTMT timing map", "w=600&h=400", vec![ebtmt_timing()]),
        c("th2f_summary", "reportSummaryMap: summary palette, y bin labels", "Info/EventInfo/reportSummaryMap", "w=600&h=400", vec![report_summary_map()]),
        c("th2f_bird", "TrackEtaPhi: default colz (bird palette)", "Tracking/TrackParameters/GeneralProperties/TrackEtaPhi", "w=400&h=300", vec![track_eta_phi()]),
        c("th2f_box", "drawopts=box", "JetMET/Jet/ak4PFJets/PhiVSEta", "w=400&h=300", vec![track_eta_phi()]),
        c("th2s_text", "TH2S colz text, rainbow palette (from a rule)", "Edge/Types/h2s", "w=400&h=300", vec![h2s()]),
        c("th3f", "TH3F: x–y projection, log z and grey palette from a rule", "Edge/Types/h3f", "w=400&h=300", vec![h3f()]),
        c("overlay", "ref=overlay: 3 objects, normalised, reflabels", NT, "w=600&h=400&reflabel=run 123457&reflabel=simulation", vec![nt.clone(), nt2.clone(), third_tracks()]),
        c("overlay_errors", "Overlay with errors=true, norm=false", NT, "w=600&h=400&errors=true&norm=false&reflabel=run 123457", vec![nt.clone(), nt2.clone()]),
        c("ratio", "ref=ratiooverlay", NT, "w=600&h=400&ref=ratiooverlay&reflabel=run 123457&reflabel=simulation", vec![nt.clone(), nt2.clone(), third_tracks()]),
        c("stacked", "ref=stacked", NT, "w=600&h=400&ref=stacked&norm=false&reflabel=run 123457&reflabel=simulation", vec![nt.clone(), nt2.clone(), third_tracks()]),
        c("overlay_2d", "2-D overlay: reference as boxes", "Tracking/TrackParameters/GeneralProperties/TrackEtaPhi", "w=600&h=400&drawopts=col&reflabel=run 123457", vec![track_eta_phi(), ebot_like_eta_phi()]),
        c("th1f_thumb", "Thumbnail 120×90: fewer ticks, labels still apart", NT, "w=120&h=90", vec![nt.clone()]),
        c("th2f_thumb", "Thumbnail 100×75 colz", EBOT, "w=100&h=75", vec![ebot_occupancy()]),
        c("th1f_tiny", "40×30: too small for text, frame and data only", NT, "w=40&h=30", vec![nt.clone()]),
        c("th1f_800", "TH1F at 800×600 with errors", "JetMET/Jet/ak4PFJets/Pt", "w=800&h=600", vec![jet_pt()]),
        c("scalar_int", "Int scalar iRun", "Info/EventInfo/iRun", "", vec![scalar_int()]),
        c("scalar_float", "Float scalar reportSummary", "Tracking/EventInfo/reportSummary", "", vec![scalar_float()]),
        c("scalar_string", "String scalar, full value", "Edge/Names/string with spaces", "", vec![scalar_string()]),
        c("not_found", "ME not found", "No/Such/ME", "", vec![]),
    ]
}

fn ebot_like_eta_phi() -> Plot {
    let mut p = track_eta_phi();
    p.contents.iter_mut().enumerate().for_each(|(i, c)| *c = if i % 7 == 0 { *c * 1.5 } else { *c * 0.6 });
    p
}

/// Splits "a=1&b=2" into pairs (the gallery queries need no percent-decoding).
pub fn query_pairs(q: &str) -> Vec<(&str, &str)> {
    q.split('&').filter(|s| !s.is_empty()).map(|kv| kv.split_once('=').unwrap_or((kv, ""))).collect()
}

/// Renders a case with the shipped rules.
pub fn render_case(case: &Case, rules: &render::Rules) -> Vec<u8> {
    let opts = render::Options::from_query(query_pairs(case.query)).expect("gallery query parses");
    if case.plots.is_empty() {
        return render::render_not_found(opts.width, opts.height).expect("not-found tile renders");
    }
    render::render_overlay(&case.plots, &opts, &rules.style_for(case.path)).expect("case renders")
}
