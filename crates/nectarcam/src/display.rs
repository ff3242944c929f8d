//! The server-side rules of the viewer: camera displays (§7.3 with the §8a decisions), run times
//! (§7.1) and the waveform band (§8a).

use fits::Array;

pub const N_PIXELS: usize = 1855;

/// Bad-pixel masks in order of preference (parent, child); the high-gain mask serves both gains.
pub const BAD_PIXEL_MASKS: [(&str, &str); 2] = [
    (
        "CAMERA-BADPIX-PED-PHY-OVEREVENTS-HIGH-GAIN",
        "CAMERA-BadPix-PED-PHY-OverEVENTS-HIGH-GAIN",
    ),
    (
        "CAMERA-BADPIX-PHY-OVEREVENTS-HIGH-GAIN",
        "CAMERA-BadPix-PHY-OverEVENTS-HIGH-GAIN",
    ),
];

/// What the camera map, colour bar, slider, histogram and scatter need.
#[derive(Debug, Clone, PartialEq)]
pub struct CameraDisplay {
    /// NaN stays NaN (sent as null: uncoloured); bad pixels are 0.
    pub values: Vec<f64>,
    pub bad_pixels: Vec<bool>,
    pub color_range: [f64; 2],
    /// `None` for BADPIX keys: only the map is shown.
    pub slider_range: Option<[f64; 2]>,
}

/// True when a child can be drawn on the camera: a `[N_PIXELS]` array.
pub fn drawable(shape: &[usize]) -> bool {
    shape == [N_PIXELS]
}

/// Applies §7.3 to a `[N_PIXELS]` image; `mask` is the high-gain bad-pixel array if one is stored.
pub fn camera_display(parent: &str, image: &Array, mask: Option<&Array>) -> CameraDisplay {
    let mut values = image.to_f64();
    if parent.contains("BADPIX") {
        values
            .iter_mut()
            .filter(|v| **v > 1.0)
            .for_each(|v| *v = 1.0);
        return CameraDisplay {
            bad_pixels: vec![false; values.len()],
            values,
            color_range: [0.0, 1.0],
            slider_range: None,
        };
    }
    let bad_pixels: Vec<bool> = match mask {
        Some(mask) if mask.values.len() == values.len() => (0..values.len())
            .map(|i| mask.values.f64_at(i).is_some_and(|v| v >= 1.0))
            .collect(),
        _ => vec![false; values.len()],
    };
    let mut good: Vec<f64> = values
        .iter()
        .zip(&bad_pixels)
        .filter(|(v, bad)| !**bad && !v.is_nan())
        .map(|(v, _)| *v)
        .collect();
    good.sort_by(f64::total_cmp);
    for (v, _) in values.iter_mut().zip(&bad_pixels).filter(|(_, bad)| **bad) {
        *v = 0.0;
    }
    let color_range = widen([quantile(&good, 0.005), quantile(&good, 0.995)]);
    let slider_range = widen([
        good.first().copied().unwrap_or(0.0),
        good.last().copied().unwrap_or(0.0),
    ]);
    CameraDisplay {
        values,
        bad_pixels,
        color_range,
        slider_range: Some(slider_range),
    }
}

/// numpy's default (linear) quantile of sorted values; 0 for none.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let pos = q * (sorted.len() - 1) as f64;
    let (lo, frac) = (pos.floor() as usize, pos - pos.floor());
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (sorted[hi] - sorted[lo]) * frac
}

/// A degenerate range `[v, v]` becomes `[v − 5 %|v|, v + 5 %|v|]`, or `[v − 0.5, v + 0.5]` for 0.
fn widen([lo, hi]: [f64; 2]) -> [f64; 2] {
    if lo != hi {
        return [lo, hi];
    }
    let half = if lo == 0.0 { 0.5 } else { 0.05 * lo.abs() };
    [lo - half, lo + half]
}

/// `YYYY-MM-DD HH:MM:SS` (UTC) of the first element, truncated to whole seconds.
pub fn format_time(array: &Array) -> Option<String> {
    let seconds = array
        .values
        .f64_at(0)
        .filter(|t| t.is_finite() && t.abs() < 1e12)?
        .trunc() as i64;
    let (days, rem) = civil_date::split_unix(seconds);
    let (y, m, d) = civil_date::civil_from_days(days);
    Some(format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    ))
}

/// The 2.5 % and 97.5 % quantiles across pixels for every sample of a `[pixels, samples]` image
/// (NaN ignored), for the waveform band.
pub fn waveform_band(image: &Array) -> Option<(Vec<f64>, Vec<f64>)> {
    let [pixels, samples] = image.shape[..] else {
        return None;
    };
    let values = image.to_f64();
    let mut column = Vec::with_capacity(pixels);
    let (mut lo, mut hi) = (Vec::with_capacity(samples), Vec::with_capacity(samples));
    for s in 0..samples {
        column.clear();
        column.extend(
            (0..pixels)
                .map(|p| values[p * samples + s])
                .filter(|v| !v.is_nan()),
        );
        column.sort_by(f64::total_cmp);
        lo.push(quantile(&column, 0.025));
        hi.push(quantile(&column, 0.975));
    }
    Some((lo, hi))
}

#[cfg(test)]
mod tests {
    use super::*;
    use fits::Values;

    fn pixels(values: Vec<f64>) -> Array {
        Array {
            shape: vec![values.len()],
            values: Values::Float64(values),
        }
    }

    #[test]
    fn bad_pixels_are_zero_and_excluded_from_the_ranges() {
        let image: Vec<f64> = (0..N_PIXELS).map(|i| i as f64).collect();
        let mut mask = vec![0i64; N_PIXELS];
        mask[1] = 1;
        mask[2] = 2;
        let mask = Array {
            shape: vec![N_PIXELS],
            values: Values::Int64(mask),
        };
        let d = camera_display(
            "CAMERA-AVERAGE-PHY-OVEREVENTS-OVERSAMP-LOW-GAIN",
            &pixels(image.clone()),
            Some(&mask),
        );
        assert!(d.bad_pixels[1] && d.bad_pixels[2] && !d.bad_pixels[0] && !d.bad_pixels[3]);
        assert_eq!((d.values[1], d.values[2], d.values[3]), (0.0, 0.0, 3.0));
        let mut others: Vec<f64> = image
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != 1 && *i != 2)
            .map(|(_, v)| *v)
            .collect();
        others.sort_by(f64::total_cmp);
        assert_eq!(
            d.color_range,
            [quantile(&others, 0.005), quantile(&others, 0.995)]
        );
        // 1853 values 0,3,4,…,1854: the 0.5 % quantile sits 9.26 positions in.
        assert!(
            (d.color_range[0] - 11.26).abs() < 1e-9,
            "{:?}",
            d.color_range
        );
        assert_eq!(d.slider_range, Some([0.0, 1854.0]));
    }

    #[test]
    fn degenerate_ranges_widen() {
        let d = camera_display("X", &pixels(vec![5.0; N_PIXELS]), None);
        assert_eq!(d.color_range, [4.75, 5.25]);
        assert_eq!(d.slider_range, Some([4.75, 5.25]));
        assert_eq!(
            camera_display("X", &pixels(vec![0.0; N_PIXELS]), None).color_range,
            [-0.5, 0.5]
        );
        assert_eq!(
            camera_display("X", &pixels(vec![-4.0; N_PIXELS]), None).color_range,
            [-4.2, -3.8]
        );
    }

    #[test]
    fn badpix_keys_cap_at_one_without_slider() {
        let mut image = vec![0.0; N_PIXELS];
        image[7] = 2.0;
        let d = camera_display(
            "CAMERA-BADPIX-PHY-OVEREVENTS-HIGH-GAIN",
            &pixels(image),
            None,
        );
        assert_eq!(
            (d.values[7], d.color_range, d.slider_range),
            (1.0, [0.0, 1.0], None)
        );
    }

    #[test]
    fn nan_pixels_stay_nan_and_do_not_count() {
        let mut image: Vec<f64> = vec![10.0; N_PIXELS];
        image[0] = f64::NAN;
        image[1] = 1e9;
        let d = camera_display("X", &pixels(image), Some(&pixels(vec![0.0; 3])));
        assert!(d.values[0].is_nan());
        assert!(
            d.bad_pixels.iter().all(|b| !b),
            "a mask of the wrong shape marks nothing"
        );
        assert_eq!(d.slider_range, Some([10.0, 1e9]));
        assert_eq!(
            d.color_range,
            [9.5, 10.5],
            "one outlier does not move the 99.5 % quantile; the constant rest widens"
        );
    }

    #[test]
    fn times_are_utc_seconds() {
        let t = |v: f64| {
            format_time(&Array {
                shape: vec![1, 1],
                values: Values::Float64(vec![v]),
            })
        };
        assert_eq!(t(1609459200.0).as_deref(), Some("2021-01-01 00:00:00"));
        assert_eq!(t(1674462000.9).as_deref(), Some("2023-01-23 08:20:00"));
        assert_eq!(t(951782400.0).as_deref(), Some("2000-02-29 00:00:00"));
        assert_eq!(t(f64::NAN), None);
        assert_eq!(
            format_time(&Array {
                shape: vec![0],
                values: Values::Int64(vec![])
            }),
            None
        );
    }

    #[test]
    fn waveform_band_spans_the_pixels() {
        let image = Array {
            shape: vec![3, 2],
            values: Values::Float64(vec![1.0, 10.0, 2.0, 20.0, 3.0, f64::NAN]),
        };
        let (lo, hi) = waveform_band(&image).unwrap();
        assert!((lo[0] - 1.05).abs() < 1e-12 && (hi[0] - 2.95).abs() < 1e-12);
        assert!((lo[1] - 10.25).abs() < 1e-12 && (hi[1] - 19.75).abs() < 1e-12);
        assert!(waveform_band(&pixels(vec![1.0])).is_none());
    }
}
