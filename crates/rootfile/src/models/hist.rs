//! Histograms: TH1/TH2/TH3 in every element type, TProfile and TProfile2D.

use super::axis::Axis;
use super::base::{AttFill, AttLine, AttMarker, Named};
use super::list::List;
use super::Decoder;
use crate::error::Result;

/// Which histogram class, as dimension, element type and profile flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistKind {
    pub dim: u8,
    /// 'C', 'S', 'I', 'F' or 'D'.
    pub elem: char,
    pub profile: bool,
}

impl HistKind {
    pub fn from_class(class: &str) -> Option<Self> {
        match class {
            "TProfile" => return Some(HistKind { dim: 1, elem: 'D', profile: true }),
            "TProfile2D" => return Some(HistKind { dim: 2, elem: 'D', profile: true }),
            _ => {}
        }
        let rest = class.strip_prefix("TH")?.as_bytes();
        match rest {
            [d @ b'1'..=b'3', e @ (b'C' | b'S' | b'I' | b'F' | b'D')] => {
                Some(HistKind { dim: d - b'0', elem: *e as char, profile: false })
            }
            _ => None,
        }
    }

    pub fn class_name(&self) -> &'static str {
        const NAMES: [[&str; 5]; 3] = [
            ["TH1C", "TH1S", "TH1I", "TH1F", "TH1D"],
            ["TH2C", "TH2S", "TH2I", "TH2F", "TH2D"],
            ["TH3C", "TH3S", "TH3I", "TH3F", "TH3D"],
        ];
        match (self.profile, self.dim) {
            (true, 1) => "TProfile",
            (true, _) => "TProfile2D",
            _ => {
                let e = "CSIFD".find(self.elem).unwrap_or(4);
                NAMES[(self.dim.clamp(1, 3) - 1) as usize][e]
            }
        }
    }

    /// Class name of the histogram a profile extends (TH1D / TH2D), or itself.
    fn array_class(&self) -> &'static str {
        HistKind { profile: false, ..*self }.class_name()
    }
}

/// The stored bin array, in the element type ROOT streamed (kept exact).
#[derive(Debug, Clone, PartialEq)]
pub enum BinArray {
    C(Vec<i8>),
    S(Vec<i16>),
    I(Vec<i32>),
    F(Vec<f32>),
    D(Vec<f64>),
}

impl BinArray {
    pub fn len(&self) -> usize {
        match self {
            BinArray::C(v) => v.len(),
            BinArray::S(v) => v.len(),
            BinArray::I(v) => v.len(),
            BinArray::F(v) => v.len(),
            BinArray::D(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Cell `i` widened to f64 (exact for every element type).
    pub fn get(&self, i: usize) -> Option<f64> {
        match self {
            BinArray::C(v) => v.get(i).map(|&x| x as f64),
            BinArray::S(v) => v.get(i).map(|&x| x as f64),
            BinArray::I(v) => v.get(i).map(|&x| x as f64),
            BinArray::F(v) => v.get(i).map(|&x| x as f64),
            BinArray::D(v) => v.get(i).copied(),
        }
    }

    pub fn to_f64(&self) -> Vec<f64> {
        (0..self.len()).filter_map(|i| self.get(i)).collect()
    }

    fn read(d: &mut Decoder, elem: char) -> Result<Self> {
        Ok(match elem {
            'C' => BinArray::C(d.array_i8()?),
            'S' => BinArray::S(d.array_i16()?),
            'I' => BinArray::I(d.array_i32()?),
            'F' => BinArray::F(d.array_f32()?),
            _ => BinArray::D(d.array_f64()?),
        })
    }
}

/// The TH1 base members.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Th1 {
    pub named: Named,
    pub line: AttLine,
    pub fill: AttFill,
    pub marker: AttMarker,
    pub ncells: i32,
    pub xaxis: Axis,
    pub yaxis: Axis,
    pub zaxis: Axis,
    pub bar_offset: i16,
    pub bar_width: i16,
    pub entries: f64,
    pub tsumw: f64,
    pub tsumw2: f64,
    pub tsumwx: f64,
    pub tsumwx2: f64,
    pub maximum: f64,
    pub minimum: f64,
    pub norm_factor: f64,
    pub contour: Vec<f64>,
    pub sumw2: Vec<f64>,
    pub option: String,
    pub functions: List,
    pub buffer_size: i32,
    pub buffer: Vec<f64>,
    pub bin_stat_err_opt: i32,
    /// TH1::EStatOverflows; 2 (kNeutral) for files older than TH1 v8.
    pub stat_overflows: i32,
}

/// TH2 members after TH1.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Th2Stats {
    pub scalefactor: f64,
    pub tsumwy: f64,
    pub tsumwy2: f64,
    pub tsumwxy: f64,
}

/// TH3 members after TH1.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Th3Stats {
    pub tsumwy: f64,
    pub tsumwy2: f64,
    pub tsumwxy: f64,
    pub tsumwz: f64,
    pub tsumwz2: f64,
    pub tsumwxz: f64,
    pub tsumwyz: f64,
}

/// TProfile / TProfile2D members; `min`/`max`/`tsumw_v`/`tsumw_v2` are fYmin… for TProfile and
/// fZmin… for TProfile2D.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProfileData {
    pub bin_entries: Vec<f64>,
    pub error_mode: i32,
    pub min: f64,
    pub max: f64,
    pub tsumw_v: f64,
    pub tsumw_v2: f64,
    pub bin_sumw2: Vec<f64>,
}

/// Any histogram.
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    pub kind: HistKind,
    pub th1: Th1,
    pub th2: Option<Th2Stats>,
    pub th3: Option<Th3Stats>,
    /// fArray: `ncells` cells in global-bin order (for profiles, the per-bin sum of w·y).
    pub array: BinArray,
    pub profile: Option<ProfileData>,
}

impl Histogram {
    pub fn read(d: &mut Decoder, kind: HistKind) -> Result<Self> {
        let h = Self::read_members(d, kind)?;
        h.check_sizes().map_err(|what| d.error(format!("{}: {what}", kind.class_name())))?;
        Ok(h)
    }

    /// Array sizes must agree with the axes: every bin loop is then bounded by bytes actually read.
    fn check_sizes(&self) -> std::result::Result<(), String> {
        let t = &self.th1;
        let axes = [&t.xaxis, &t.yaxis, &t.zaxis];
        let mut cells: i64 = 1;
        for axis in &axes[..self.kind.dim as usize] {
            if axis.nbins < 1 {
                return Err(format!("axis {:?} has {} bins", axis.named.name, axis.nbins));
            }
            if !axis.xbins.is_empty() && axis.xbins.len() != axis.nbins as usize + 1 {
                return Err(format!("axis {:?} has {} edges for {} bins", axis.named.name, axis.xbins.len(), axis.nbins));
            }
            cells = cells.saturating_mul(axis.nbins as i64 + 2);
        }
        let n = self.array.len();
        if cells != t.ncells as i64 || n != t.ncells as usize {
            return Err(format!("fNcells {} disagrees with the axes ({cells}) or the array ({n})", t.ncells));
        }
        let sizes_ok = |v: &[f64]| v.is_empty() || v.len() == n;
        let profile_ok = self.profile.as_ref().is_none_or(|p| p.bin_entries.len() == n && sizes_ok(&p.bin_sumw2));
        if !sizes_ok(&t.sumw2) || !profile_ok {
            return Err(format!("fSumw2/fBinEntries/fBinSumw2 lengths disagree with fNcells {n}"));
        }
        Ok(())
    }

    fn read_members(d: &mut Decoder, kind: HistKind) -> Result<Self> {
        if kind.profile {
            let class = kind.class_name();
            let (min_v, max_v) = if kind.dim == 1 { (4, 7) } else { (5, 8) };
            d.class(class, min_v, max_v, |d, version| {
                let mut h = Self::read_plain(d, kind)?;
                let bin_entries = d.array_f64()?;
                let error_mode = d.i32()?;
                let (min, max, tsumw_v, tsumw_v2) = (d.f64()?, d.f64()?, d.f64()?, d.f64()?);
                let has_bin_sumw2 = version >= if kind.dim == 1 { 6 } else { 7 };
                let bin_sumw2 = if has_bin_sumw2 { d.array_f64()? } else { Vec::new() };
                h.profile = Some(ProfileData { bin_entries, error_mode, min, max, tsumw_v, tsumw_v2, bin_sumw2 });
                h.kind = kind;
                Ok(h)
            })
        } else {
            Self::read_plain(d, kind)
        }
    }

    /// TH{1,2,3}{C,S,I,F,D}: the TH1/TH2/TH3 base, then the TArray.
    fn read_plain(d: &mut Decoder, kind: HistKind) -> Result<Self> {
        let plain = HistKind { profile: false, ..kind };
        d.class(kind.array_class(), 1, 4, |d, _| {
            let (th1, th2, th3) = match plain.dim {
                1 => (read_th1(d)?, None, None),
                2 => d.class("TH2", 3, 5, |d, _| {
                    let th1 = read_th1(d)?;
                    let s = Th2Stats { scalefactor: d.f64()?, tsumwy: d.f64()?, tsumwy2: d.f64()?, tsumwxy: d.f64()? };
                    Ok((th1, Some(s), None))
                })?,
                _ => d.class("TH3", 5, 6, |d, _| {
                    let th1 = read_th1(d)?;
                    d.class("TAtt3D", 1, 1, |_, _| Ok(()))?;
                    let s = Th3Stats {
                        tsumwy: d.f64()?,
                        tsumwy2: d.f64()?,
                        tsumwxy: d.f64()?,
                        tsumwz: d.f64()?,
                        tsumwz2: d.f64()?,
                        tsumwxz: d.f64()?,
                        tsumwyz: d.f64()?,
                    };
                    Ok((th1, None, Some(s)))
                })?,
            };
            let array = BinArray::read(d, plain.elem)?;
            Ok(Histogram { kind: plain, th1, th2, th3, array, profile: None })
        })
    }

    pub fn dimension(&self) -> u8 {
        self.kind.dim
    }

    /// Global bin of 1-based (or 0 / n+1 for flow) indices.
    pub fn global_bin(&self, i: usize, j: usize, k: usize) -> usize {
        let nx = self.th1.xaxis.nbins.max(0) as usize + 2;
        let ny = self.th1.yaxis.nbins.max(0) as usize + 2;
        i + nx * (j + ny * k)
    }
}

fn read_th1(d: &mut Decoder) -> Result<Th1> {
    d.class("TH1", 5, 8, |d, version| {
        let named = Named::read(d)?;
        let line = AttLine::read(d)?;
        let fill = AttFill::read(d)?;
        let marker = AttMarker::read(d)?;
        let ncells = d.i32()?;
        let xaxis = Axis::read(d)?;
        let yaxis = Axis::read(d)?;
        let zaxis = Axis::read(d)?;
        let bar_offset = d.i16()?;
        let bar_width = d.i16()?;
        let mut stats = [0f64; 8];
        for s in &mut stats {
            *s = d.f64()?;
        }
        let [entries, tsumw, tsumw2, tsumwx, tsumwx2, maximum, minimum, norm_factor] = stats;
        let contour = d.array_f64()?;
        let sumw2 = d.array_f64()?;
        let option = d.tstring()?;
        // `TList* fFunctions //->` is streamed inline: a class header, no class tag.
        let functions = List::read(d, "TList")?;
        let (buffer_size, buffer) = if version >= 4 { read_buffer(d)? } else { (0, Vec::new()) };
        let bin_stat_err_opt = if version >= 7 { d.i32()? } else { 0 };
        let stat_overflows = if version >= 8 { d.i32()? } else { 2 };
        Ok(Th1 {
            named,
            line,
            fill,
            marker,
            ncells,
            xaxis,
            yaxis,
            zaxis,
            bar_offset,
            bar_width,
            entries,
            tsumw,
            tsumw2,
            tsumwx,
            tsumwx2,
            maximum,
            minimum,
            norm_factor,
            contour,
            sumw2,
            option,
            functions,
            buffer_size,
            buffer,
            bin_stat_err_opt,
            stat_overflows,
        })
    })
}

/// `fBufferSize` then `Double_t* fBuffer //[fBufferSize]`: a presence byte, then the values.
fn read_buffer(d: &mut Decoder) -> Result<(i32, Vec<f64>)> {
    let size = d.i32()?;
    let n = usize::try_from(size).map_err(|_| d.error(format!("negative fBufferSize {size}")))?;
    let present = d.u8()? != 0;
    let buffer = if present { d.f64_values(n)? } else { Vec::new() };
    Ok((size, buffer))
}
