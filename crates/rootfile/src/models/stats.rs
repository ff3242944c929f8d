//! ROOT's derived histogram quantities (TH1::GetStats, GetMean, GetStdDev, GetSumOfWeights,
//! GetEffectiveEntries, TProfile bin means and errors), computed the way ROOT computes them.

use super::axis::Axis;
use super::hist::Histogram;

/// TAxis::kAxisRange: the axis has a user range (fFirst..fLast).
const AXIS_RANGE_BIT: u32 = 1 << 11;
/// TH1::EStatOverflows::kConsider.
const STAT_OVERFLOWS_CONSIDER: i32 = 1;

impl Axis {
    /// TAxis::GetBinCenter.
    pub fn bin_center(&self, bin: i32) -> f64 {
        let n = self.nbins.max(0) as usize;
        if self.xbins.len() < n + 1 || bin < 1 || bin > self.nbins {
            let width = (self.xmax - self.xmin) / self.nbins as f64;
            self.xmin + (bin - 1) as f64 * width + 0.5 * width
        } else {
            let (lo, hi) = (self.xbins[bin as usize - 1], self.xbins[bin as usize]);
            lo + 0.5 * (hi - lo)
        }
    }

    fn has_range(&self) -> bool {
        self.named.object.bits & AXIS_RANGE_BIT != 0
    }

    /// Bins that the statistics loop over.
    fn stat_range(&self, overflows: bool) -> (i32, i32) {
        if self.has_range() {
            return (self.first.max(0), self.last.min(self.nbins + 1));
        }
        if overflows {
            (0, self.nbins + 1)
        } else {
            (1, self.nbins)
        }
    }
}

impl Histogram {
    fn value(&self, bin: usize) -> f64 {
        self.array.get(bin).unwrap_or(0.0)
    }

    fn sumw2_at(&self, bin: usize) -> Option<f64> {
        self.th1.sumw2.get(bin).copied().filter(|_| !self.th1.sumw2.is_empty())
    }

    /// TH1::GetBinContent: the stored value, or for profiles the bin mean.
    pub fn bin_content(&self, bin: usize) -> f64 {
        match &self.profile {
            Some(p) => match p.bin_entries.get(bin) {
                Some(&n) if n != 0.0 => self.value(bin) / n,
                _ => 0.0,
            },
            None => self.value(bin),
        }
    }

    /// TH1::GetBinError (default error option): sqrt(sumw2) or sqrt(|content|); profiles use
    /// TProfile's error modes.
    pub fn bin_error(&self, bin: usize) -> f64 {
        let Some(p) = &self.profile else {
            return self.sumw2_at(bin).unwrap_or_else(|| self.value(bin).abs()).sqrt();
        };
        let sum = p.bin_entries.get(bin).copied().unwrap_or(0.0);
        if sum == 0.0 {
            return 0.0;
        }
        if p.error_mode == 3 {
            return 1.0 / sum.sqrt();
        }
        let cont = self.value(bin);
        let err2 = self.sumw2_at(bin).unwrap_or(0.0);
        let neff = match p.bin_sumw2.get(bin) {
            Some(&s2) if !p.bin_sumw2.is_empty() => {
                if s2 > 0.0 {
                    sum * sum / s2
                } else {
                    0.0
                }
            }
            _ => sum,
        };
        let contsum = cont / sum;
        let eprim2 = (err2 / sum - contsum * contsum).abs();
        let eprim = eprim2.sqrt();
        match p.error_mode {
            2 if eprim != 0.0 => eprim / neff.sqrt(),
            2 => 1.0 / (12.0 * neff).sqrt(),
            1 => eprim,
            _ => eprim / neff.sqrt(),
        }
    }

    /// TProfile::GetErrorOption.
    pub fn error_option(&self) -> &'static str {
        match self.profile.as_ref().map(|p| p.error_mode) {
            Some(1) => "s",
            Some(2) => "i",
            Some(3) => "g",
            _ => "",
        }
    }

    /// TH1::GetStats: the 13-slot stats array (sumw, sumw2, sumwx, sumwx2, sumwy, sumwy2, sumwxy,
    /// sumwz, sumwz2, sumwxz, sumwyz; profiles put sumwy/sumwy2 (or z) after the axes).
    pub fn stats(&self) -> [f64; 13] {
        let mut s = [0.0; 13];
        let t = &self.th1;
        let dim = self.kind.dim;
        let ranged = t.xaxis.has_range() || (dim >= 2 && t.yaxis.has_range()) || (dim >= 3 && t.zaxis.has_range());
        let recompute = if self.profile.is_some() {
            t.tsumw == 0.0 || ranged
        } else {
            (t.tsumw == 0.0 && t.entries > 0.0) || ranged
        };
        if !recompute {
            s[..4].copy_from_slice(&[t.tsumw, t.tsumw2, t.tsumwx, t.tsumwx2]);
            if let Some(h2) = &self.th2 {
                s[4..7].copy_from_slice(&[h2.tsumwy, h2.tsumwy2, h2.tsumwxy]);
            }
            if let Some(h3) = &self.th3 {
                s[4..11].copy_from_slice(&[
                    h3.tsumwy, h3.tsumwy2, h3.tsumwxy, h3.tsumwz, h3.tsumwz2, h3.tsumwxz, h3.tsumwyz,
                ]);
            }
            if let Some(p) = &self.profile {
                let at = if dim == 1 { 4 } else { 7 };
                s[at] = p.tsumw_v;
                s[at + 1] = p.tsumw_v2;
            }
            return s;
        }
        let overflows = self.profile.is_none() && t.stat_overflows == STAT_OVERFLOWS_CONSIDER;
        let (x0, x1) = t.xaxis.stat_range(overflows);
        let (y0, y1) = if dim >= 2 { t.yaxis.stat_range(overflows) } else { (0, 0) };
        let (z0, z1) = if dim >= 3 { t.zaxis.stat_range(overflows) } else { (0, 0) };
        for k in z0..=z1 {
            let z = t.zaxis.bin_center(k);
            for j in y0..=y1 {
                let y = t.yaxis.bin_center(j);
                for i in x0..=x1 {
                    let x = t.xaxis.bin_center(i);
                    let bin = self.global_bin(i as usize, j as usize, k as usize);
                    let (w, w2) = match &self.profile {
                        Some(p) => {
                            let w = p.bin_entries.get(bin).copied().unwrap_or(0.0);
                            let w2 =
                                if p.bin_sumw2.is_empty() { w } else { p.bin_sumw2.get(bin).copied().unwrap_or(0.0) };
                            (w, w2)
                        }
                        None => {
                            let w = self.value(bin);
                            (w, self.sumw2_at(bin).unwrap_or(w))
                        }
                    };
                    s[0] += w;
                    s[1] += w2;
                    s[2] += w * x;
                    s[3] += w * x * x;
                    if dim >= 2 {
                        s[4] += w * y;
                        s[5] += w * y * y;
                        s[6] += w * x * y;
                    }
                    if dim >= 3 {
                        s[7] += w * z;
                        s[8] += w * z * z;
                        s[9] += w * x * z;
                        s[10] += w * y * z;
                    }
                    if self.profile.is_some() {
                        let at = if dim == 1 { 4 } else { 7 };
                        s[at] += self.value(bin);
                        s[at + 1] += self.sumw2_at(bin).unwrap_or(0.0);
                    }
                }
            }
        }
        s
    }

    /// TH1::GetMean(axis) for axis 1..=3 (for profiles, axis dim+1 is the mean of the profiled value).
    pub fn mean(&self, axis: usize) -> f64 {
        let s = self.stats();
        let Some(&at) = [2usize, 4, 7].get(axis.wrapping_sub(1)) else { return 0.0 };
        if s[0] == 0.0 {
            0.0
        } else {
            s[at] / s[0]
        }
    }

    /// TH1::GetStdDev(axis) (GetRMS).
    pub fn std_dev(&self, axis: usize) -> f64 {
        let s = self.stats();
        let Some(&at) = [2usize, 4, 7].get(axis.wrapping_sub(1)) else { return 0.0 };
        if s[0] == 0.0 {
            return 0.0;
        }
        let m = s[at] / s[0];
        (s[at + 1] / s[0] - m * m).max(0.0).sqrt()
    }

    /// TH1::GetSumOfWeights: sum of in-range bin contents (profiles: of bin means).
    pub fn sum_of_weights(&self) -> f64 {
        let inner = |a: &Axis, used: bool| if used { 1..=a.nbins.max(0) as usize } else { 0..=0 };
        let (t, d) = (&self.th1, self.kind.dim);
        let mut sum = 0.0;
        for k in inner(&t.zaxis, d >= 3) {
            for j in inner(&t.yaxis, d >= 2) {
                for i in inner(&t.xaxis, true) {
                    sum += self.bin_content(self.global_bin(i, j, k));
                }
            }
        }
        sum
    }

    /// TH1::GetEffectiveEntries.
    pub fn effective_entries(&self) -> f64 {
        let s = self.stats();
        if s[1] != 0.0 {
            s[0] * s[0] / s[1]
        } else {
            s[0].abs()
        }
    }
}
