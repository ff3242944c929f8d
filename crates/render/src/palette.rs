//! Colour palettes for 2-D colour maps, as piecewise-linear gradients.

use crate::canvas::Rgba;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Palette {
    /// ROOT 6's default (kBird): dark blue, teal, yellow.
    #[default]
    Bird,
    /// ROOT 5's rainbow: violet, blue, green, yellow, red.
    Rainbow,
    Grey,
    /// Quality summaries: red (bad) through yellow to green (good).
    Summary,
    /// Light cyan to deep blue, as the ECAL occupancy plots use.
    Blues,
}

impl Palette {
    pub fn parse(name: &str) -> Option<Palette> {
        Some(match name {
            "bird" => Palette::Bird,
            "rainbow" => Palette::Rainbow,
            "grey" | "gray" => Palette::Grey,
            "summary" => Palette::Summary,
            "blues" => Palette::Blues,
            _ => return None,
        })
    }

    /// (stop, r, g, b) with stops from 0 to 1.
    fn stops(self) -> &'static [(f32, f32, f32, f32)] {
        match self {
            Palette::Bird => &[
                (0.0, 0.2082, 0.1664, 0.5293),
                (0.125, 0.0592, 0.3599, 0.8684),
                (0.25, 0.0780, 0.5041, 0.8385),
                (0.375, 0.0232, 0.6419, 0.7914),
                (0.5, 0.1802, 0.7178, 0.6425),
                (0.625, 0.5301, 0.7492, 0.4662),
                (0.75, 0.8186, 0.7328, 0.3499),
                (0.875, 0.9956, 0.7862, 0.1968),
                (1.0, 0.9764, 0.9832, 0.0539),
            ],
            Palette::Rainbow => &[
                (0.0, 0.5, 0.0, 1.0),
                (0.25, 0.0, 0.3, 1.0),
                (0.5, 0.0, 0.85, 0.2),
                (0.75, 1.0, 0.9, 0.0),
                (1.0, 0.9, 0.0, 0.0),
            ],
            Palette::Grey => &[(0.0, 0.9, 0.9, 0.9), (1.0, 0.1, 0.1, 0.1)],
            Palette::Summary => &[(0.0, 0.8, 0.0, 0.0), (0.5, 1.0, 0.85, 0.0), (1.0, 0.0, 0.7, 0.0)],
            Palette::Blues => &[(0.0, 0.7, 0.9, 0.9), (0.5, 0.35, 0.55, 0.95), (1.0, 0.0, 0.1, 0.9)],
        }
    }

    /// Colour at fraction `t` (clamped to [0, 1]).
    pub fn at(self, t: f64) -> Rgba {
        let t = if t.is_finite() { t.clamp(0.0, 1.0) as f32 } else { 0.0 };
        let stops = self.stops();
        let i = stops.iter().position(|s| s.0 >= t).unwrap_or(stops.len() - 1).max(1);
        let (a, b) = (stops[i - 1], stops[i]);
        let f = if b.0 > a.0 { (t - a.0) / (b.0 - a.0) } else { 0.0 };
        let mix = |x: f32, y: f32| ((x + (y - x) * f) * 255.0).round() as u8;
        Rgba(mix(a.1, b.1), mix(a.2, b.2), mix(a.3, b.3), 255)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ends_and_clamping() {
        assert_eq!(Palette::Grey.at(0.0), Rgba(230, 230, 230, 255));
        assert_eq!(Palette::Grey.at(1.0), Rgba(26, 26, 26, 255));
        assert_eq!(Palette::Grey.at(7.0), Palette::Grey.at(1.0));
        assert_eq!(Palette::Bird.at(f64::NAN), Palette::Bird.at(0.0));
        assert_eq!(Palette::Summary.at(1.0).1, 179);
    }
}
