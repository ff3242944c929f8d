//! The plot model the renderer draws: histogram-like data decoupled from ROOT's classes.

/// What kind of object a [`Plot`] is; decides how it is drawn.
#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    H1,
    H2,
    H3,
    Profile,
    Profile2D,
    /// A scalar ME: the text (already formatted: Int decimal, Float as spec §8.4, String in full)
    /// is drawn large and centred.
    Scalar(String),
}

/// One axis: bins, range, optional variable edges, optional per-bin labels, title.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Axis {
    pub nbins: usize,
    pub min: f64,
    pub max: f64,
    /// `nbins + 1` increasing edges for variable binning; empty means uniform bins.
    pub edges: Vec<f64>,
    /// Alphanumeric bin labels (index 0 = bin 1); empty means a numeric axis.
    pub labels: Vec<String>,
    pub title: String,
}

impl Axis {
    pub fn uniform(nbins: usize, min: f64, max: f64) -> Axis {
        Axis { nbins, min, max, ..Axis::default() }
    }
    pub fn titled(mut self, title: &str) -> Axis {
        self.title = title.to_string();
        self
    }
    pub fn with_labels(mut self, labels: &[&str]) -> Axis {
        self.labels = labels.iter().map(|s| s.to_string()).collect();
        self
    }
    pub fn with_edges(mut self, edges: &[f64]) -> Axis {
        self.edges = edges.to_vec();
        self
    }
    /// Lower edge of bin `i` (0-based); `i == nbins` gives the upper edge of the axis.
    pub fn edge(&self, i: usize) -> f64 {
        if self.edges.len() == self.nbins + 1 {
            self.edges[i.min(self.nbins)]
        } else {
            self.min + (self.max - self.min) * i as f64 / self.nbins.max(1) as f64
        }
    }
    pub fn center(&self, i: usize) -> f64 {
        0.5 * (self.edge(i) + self.edge(i + 1))
    }
    pub fn has_labels(&self) -> bool {
        self.labels.iter().any(|l| !l.is_empty())
    }
    fn check(&self, name: &str) -> Result<(), String> {
        if self.nbins == 0 {
            return Err(format!("{name} axis has no bins"));
        }
        if !(self.min.is_finite() && self.max.is_finite() && self.min < self.max) {
            return Err(format!("{name} axis range is not a finite increasing interval"));
        }
        if !self.edges.is_empty() {
            let ok = self.edges.len() == self.nbins + 1
                && self.edges.iter().all(|e| e.is_finite())
                && self.edges.windows(2).all(|w| w[0] < w[1]);
            if !ok {
                return Err(format!("{name} axis edges must be nbins+1 finite increasing values"));
            }
        }
        Ok(())
    }
}

/// Moments shown in the stats box; when absent they are computed from the bin contents.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Stats {
    pub mean: [f64; 2],
    pub rms: [f64; 2],
}

/// A monitor element ready to draw. `contents` holds the in-range bins only, x fastest
/// (`ix + nx * (iy + ny * iz)`); for profiles it holds the bin means.
#[derive(Clone, Debug, PartialEq)]
pub struct Plot {
    pub kind: Kind,
    /// Object name (shown as the stats box header).
    pub name: String,
    pub title: String,
    pub x: Axis,
    pub y: Axis,
    pub z: Axis,
    pub contents: Vec<f64>,
    /// Per-bin errors; empty means sqrt(|content|).
    pub errors: Vec<f64>,
    /// Profiles: entries per bin (a bin with 0 entries is empty); empty means "non-zero content".
    pub bin_entries: Vec<f64>,
    pub entries: f64,
    pub stats: Option<Stats>,
    /// Efficiency MEs are never normalised and their value axis (y, or z for maps) is [0, 1].
    pub efficiency: bool,
}

impl Plot {
    /// A plot of `kind` with the given axes; unused axes stay `Axis::default()`.
    pub fn new(kind: Kind, name: &str, title: &str, x: Axis, y: Axis, z: Axis, contents: Vec<f64>) -> Plot {
        Plot {
            kind,
            name: name.to_string(),
            title: title.to_string(),
            x,
            y,
            z,
            contents,
            errors: Vec::new(),
            bin_entries: Vec::new(),
            entries: 0.0,
            stats: None,
            efficiency: false,
        }
    }
    pub fn h1(name: &str, title: &str, x: Axis, contents: Vec<f64>) -> Plot {
        let entries = contents.iter().filter(|c| c.is_finite()).sum();
        Plot { entries, ..Plot::new(Kind::H1, name, title, x, Axis::default(), Axis::default(), contents) }
    }
    pub fn h2(name: &str, title: &str, x: Axis, y: Axis, contents: Vec<f64>) -> Plot {
        let entries = contents.iter().filter(|c| c.is_finite()).sum();
        Plot { entries, ..Plot::new(Kind::H2, name, title, x, y, Axis::default(), contents) }
    }
    pub fn scalar(name: &str, text: &str) -> Plot {
        let none = Axis::default;
        Plot::new(Kind::Scalar(text.to_string()), name, "", none(), none(), none(), Vec::new())
    }

    /// Number of axes that carry bins.
    pub fn dimension(&self) -> usize {
        match self.kind {
            Kind::Scalar(_) => 0,
            Kind::H1 | Kind::Profile => 1,
            Kind::H2 | Kind::Profile2D => 2,
            Kind::H3 => 3,
        }
    }

    pub fn is_profile(&self) -> bool {
        matches!(self.kind, Kind::Profile | Kind::Profile2D)
    }

    /// Checks that the bin arrays agree with the axes, so drawing can index freely.
    pub fn validate(&self) -> Result<(), String> {
        let dim = self.dimension();
        if dim == 0 {
            return Ok(());
        }
        let axes = [(&self.x, "x"), (&self.y, "y"), (&self.z, "z")];
        let mut cells: usize = 1;
        for (axis, name) in axes.iter().take(dim) {
            axis.check(name)?;
            cells = cells.checked_mul(axis.nbins).ok_or("too many bins")?;
        }
        if cells > 16_000_000 {
            return Err("too many bins".into());
        }
        if self.contents.len() != cells {
            return Err(format!("expected {cells} bin contents, got {}", self.contents.len()));
        }
        for (arr, name) in [(&self.errors, "errors"), (&self.bin_entries, "bin entries")] {
            if !arr.is_empty() && arr.len() != cells {
                return Err(format!("expected {cells} {name}, got {}", arr.len()));
            }
        }
        Ok(())
    }

    /// Error of bin `i`: the stored one, else the Poisson sqrt of the content.
    pub fn error(&self, i: usize) -> f64 {
        let e = self.errors.get(i).copied().unwrap_or_else(|| self.contents[i].abs().sqrt());
        if e.is_finite() { e.abs() } else { 0.0 }
    }

    /// Whether bin `i` holds data (profiles: has entries; others: finite content).
    pub fn filled(&self, i: usize) -> bool {
        let c = self.contents[i];
        if !c.is_finite() {
            return false;
        }
        match self.bin_entries.get(i) {
            Some(n) => *n > 0.0,
            None if self.is_profile() => c != 0.0 || self.errors.get(i).is_some_and(|e| *e != 0.0),
            None => true,
        }
    }

    /// Sum of the finite bin contents (the "sum of weights" used for normalisation).
    pub fn integral(&self) -> f64 {
        self.contents.iter().filter(|c| c.is_finite()).sum()
    }

    /// Stats-box moments: stored ones, else computed from the bin contents.
    pub fn moments(&self) -> Stats {
        if let Some(s) = self.stats {
            return s;
        }
        let (nx, ny) = (self.x.nbins.max(1), self.y.nbins.max(1));
        let (mut sw, mut sx, mut sxx, mut sy, mut syy) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for (i, &c) in self.contents.iter().enumerate() {
            if !c.is_finite() || self.is_profile() && !self.filled(i) {
                continue;
            }
            let w = if self.is_profile() { self.bin_entries.get(i).copied().unwrap_or(1.0) } else { c };
            let x = self.x.center(i % nx);
            let y = if self.dimension() >= 2 { self.y.center((i / nx) % ny) } else { 0.0 };
            sw += w;
            sx += w * x;
            sxx += w * x * x;
            sy += w * y;
            syy += w * y * y;
        }
        if sw == 0.0 {
            return Stats::default();
        }
        let rms = |s2: f64, m: f64| (s2 / sw - m * m).max(0.0).sqrt();
        // Rounding noise around a symmetric distribution shows as 0, not as 1e-17.
        let clean = |m: f64, axis: &Axis| if m.abs() < 1e-9 * (axis.max - axis.min).abs() { 0.0 } else { m };
        let (mx, my) = (clean(sx / sw, &self.x), clean(sy / sw, &self.y));
        Stats { mean: [mx, my], rms: [rms(sxx, mx), rms(syy, my)] }
    }

    /// The x-y projection of a TH3 (summed over z), as a TH2 titled "... (projection)".
    pub fn project_xy(&self) -> Plot {
        let (nx, ny, nz) = (self.x.nbins, self.y.nbins, self.z.nbins);
        let mut sum = vec![0.0; nx * ny];
        for iz in 0..nz {
            for (cell, s) in sum.iter_mut().enumerate() {
                let c = self.contents[cell + nx * ny * iz];
                if c.is_finite() {
                    *s += c;
                }
            }
        }
        let mut p = Plot::h2(&self.name, &format!("{} (projection)", self.title), self.x.clone(), self.y.clone(), sum);
        p.entries = self.entries;
        p
    }
}

/// In-range cells of a ROOT-style bin array that includes under- and overflow cells
/// (`(nx+2)·(ny+2)·(nz+2)`, x fastest; pass 0 for unused axes), in the order [`Plot::contents`] wants.
pub fn strip_flows(cells: &[f64], nx: usize, ny: usize, nz: usize) -> Result<Vec<f64>, String> {
    let with_flows = |n: usize| if n == 0 { 1 } else { n + 2 };
    let (sx, sy, sz) = (with_flows(nx), with_flows(ny), with_flows(nz));
    let expected = sx.checked_mul(sy).and_then(|v| v.checked_mul(sz)).ok_or("too many bins")?;
    if cells.len() != expected {
        return Err(format!("expected {expected} cells with under/overflow, got {}", cells.len()));
    }
    let first = |n: usize| usize::from(n > 0);
    let count = |n: usize| n.max(1);
    let mut out = Vec::with_capacity(count(nx) * count(ny) * count(nz));
    for iz in first(nz)..first(nz) + count(nz) {
        for iy in first(ny)..first(ny) + count(ny) {
            let row = (iz * sy + iy) * sx;
            out.extend_from_slice(&cells[row + first(nx)..row + first(nx) + count(nx)]);
        }
    }
    Ok(out)
}

/// Mean and error of profile bins from ROOT's sums: Σw·y (`fArray`), Σw·y² (`fSumw2`), Σw
/// (`fBinEntries`) and Σw² (`fBinSumw2`, empty = unweighted). The error is the error on the mean
/// (ROOT's default error option): spread / √(effective entries).
pub fn profile_bins(sum_wy: &[f64], sum_wy2: &[f64], sum_w: &[f64], sum_w2: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let mut means = Vec::with_capacity(sum_w.len());
    let mut errors = Vec::with_capacity(sum_w.len());
    for (i, &w) in sum_w.iter().enumerate() {
        let (wy, wy2) = (sum_wy.get(i).copied().unwrap_or(0.0), sum_wy2.get(i).copied().unwrap_or(0.0));
        if w == 0.0 || !w.is_finite() {
            means.push(0.0);
            errors.push(0.0);
            continue;
        }
        let mean = wy / w;
        let spread = (wy2 / w - mean * mean).abs().sqrt();
        let w2 = sum_w2.get(i).copied().filter(|v| *v > 0.0).unwrap_or(w);
        let neff = w * w / w2;
        means.push(mean);
        errors.push(if neff > 0.0 { spread / neff.sqrt() } else { 0.0 });
    }
    (means, errors)
}

impl Stats {
    /// Moments from ROOT's running sums (fTsumw, fTsumwx, fTsumwx2, fTsumwy, fTsumwy2).
    pub fn from_sums(sw: f64, swx: f64, swx2: f64, swy: f64, swy2: f64) -> Option<Stats> {
        if sw == 0.0 || !sw.is_finite() {
            return None;
        }
        let (mx, my) = (swx / sw, swy / sw);
        let rms = |s2: f64, m: f64| (s2 / sw - m * m).abs().sqrt();
        Some(Stats { mean: [mx, my], rms: [rms(swx2, mx), rms(swy2, my)] })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flows_are_stripped_in_x_fastest_order() {
        // 2×2 with flows is a 4×4 grid; cell value = 10·iy + ix.
        let cells: Vec<f64> = (0..16).map(|i| (10 * (i / 4) + i % 4) as f64).collect();
        assert_eq!(strip_flows(&cells, 2, 2, 0).unwrap(), vec![11.0, 12.0, 21.0, 22.0]);
        assert_eq!(strip_flows(&[9.0, 1.0, 2.0, 9.0], 2, 0, 0).unwrap(), vec![1.0, 2.0]);
        assert!(strip_flows(&[1.0, 2.0], 2, 0, 0).is_err());
        let cube = vec![1.0; 5 * 5 * 5];
        assert_eq!(strip_flows(&cube, 3, 3, 3).unwrap().len(), 27);
    }

    #[test]
    fn profile_means_and_errors() {
        // Bin 0: y = 1, 3 (w = 1 each): mean 2, spread 1, error 1/√2. Bin 1 is empty.
        let (m, e) = profile_bins(&[4.0, 0.0], &[10.0, 0.0], &[2.0, 0.0], &[]);
        assert_eq!(m, vec![2.0, 0.0]);
        assert!((e[0] - 0.5f64.sqrt()).abs() < 1e-12 && e[1] == 0.0);
        // Bin 15 of the fixture's NumberOfRecHitsPerTrackVsEta (sums from json_ref_TProfile.json,
        // mean and error as ROOT reports them in expected.json).
        let (m, e) = profile_bins(&[2556.41906165636], &[37343.8530980712], &[177.0], &[]);
        assert!((m[0] - 14.44304554608112).abs() < 1e-9 && (e[0] - 0.1159742872068213).abs() < 1e-9);
    }

    #[test]
    fn stats_from_sums_and_computed_moments_agree() {
        let p = Plot::h1("h", "", Axis::uniform(2, 0.0, 2.0), vec![1.0, 3.0]);
        let s = Stats::from_sums(4.0, 0.5 + 4.5, 0.25 + 3.0 * 2.25, 0.0, 0.0).unwrap();
        let m = p.moments();
        assert!((s.mean[0] - m.mean[0]).abs() < 1e-12 && (s.rms[0] - m.rms[0]).abs() < 1e-12);
        assert_eq!(Stats::from_sums(0.0, 1.0, 1.0, 0.0, 0.0), None);
    }
}
