//! Axis tick choice: ROOT-like "nice" linear steps (1, 2, 5 × 10ⁿ, at most ~10 divisions),
//! decade ticks on log axes, and label text with a common ×10ⁿ factor for large or small values.

/// Tick marks along one axis, in data units.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Ticks {
    /// Major ticks with their label text (an empty label draws only the tick).
    pub major: Vec<(f64, String)>,
    pub minor: Vec<f64>,
    /// Common factor 10^n shown once at the end of the axis (`None` = labels are plain numbers).
    pub exponent: Option<i32>,
}

/// Largest number of major divisions ROOT uses by default (ndivisions 510).
pub const MAX_DIVISIONS: usize = 10;

/// Smallest step of the form {1, 2, 5} × 10ⁿ giving at most `max_div` divisions of [min, max].
pub fn nice_step(min: f64, max: f64, max_div: usize) -> f64 {
    let range = (max - min).abs();
    if !(range.is_finite() && range > 0.0) {
        return 1.0;
    }
    let raw = range / max_div.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    for m in [1.0, 2.0, 5.0, 10.0] {
        if m * mag >= raw * (1.0 - 1e-9) {
            return m * mag;
        }
    }
    10.0 * mag
}

/// Linear ticks for [min, max] with at most `max_div` divisions.
pub fn linear(min: f64, max: f64, max_div: usize) -> Ticks {
    let step = nice_step(min, max, max_div);
    let first = (min / step - 1e-9).ceil();
    let count = ((max / step + 1e-9).floor() - first) as i64 + 1;
    let values: Vec<f64> = (0..count.clamp(0, 1000)).map(|k| (first + k as f64) * step).collect();
    let (labels, exponent) = labels(&values, step);
    let mantissa = (step / 10f64.powf(step.log10().floor())).round() as i64;
    let sub = match mantissa {
        2 => 4,
        _ => 5,
    };
    let minor_step = step / sub as f64;
    let minor_first = (min / minor_step - 1e-9).ceil();
    let minor_count = ((max / minor_step + 1e-9).floor() - minor_first) as i64 + 1;
    let minor = (0..minor_count.clamp(0, 5000)).map(|k| (minor_first + k as f64) * minor_step).collect();
    Ticks { major: values.into_iter().zip(labels).collect(), minor, exponent }
}

/// Label text for tick `values` spaced `step` apart, with a common exponent when the plain
/// numbers would need more than 5 integer digits or more than 3 decimals.
pub fn labels(values: &[f64], step: f64) -> (Vec<String>, Option<i32>) {
    let max_abs = values.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let decimals = |s: f64| (-(s.log10() + 1e-9).floor()).clamp(0.0, 12.0) as usize;
    let exponent = if max_abs >= 1e5 || (max_abs > 0.0 && decimals(step) > 3) {
        Some(max_abs.log10().floor() as i32)
    } else {
        None
    };
    let scale = exponent.map_or(1.0, |e| 10f64.powi(e));
    let d = decimals(step / scale) + usize::from(is_half_step(step / scale));
    let texts = values
        .iter()
        .map(|v| {
            let s = format!("{:.*}", d, v / scale);
            if s.trim_start_matches(['-', '0', '.']).is_empty() { "0".to_string() } else { s }
        })
        .collect();
    (texts, exponent)
}

/// Steps like 2.5 need one more decimal than their magnitude suggests.
fn is_half_step(step: f64) -> bool {
    let mag = 10f64.powf(step.log10().floor());
    let m = step / mag;
    (m - m.round()).abs() > 1e-6
}

/// Ticks for a log axis over [min, max] (both > 0): decades, labelled every `every` decades,
/// and the 2…9 multiples as minor ticks. Ranges of about one decade label multiples instead:
/// all of 2…9 for `every == 1`, 2 and 5 for `every == 2`, none beyond.
pub fn log(min: f64, max: f64, every: usize) -> Ticks {
    let (lo, hi) = (min.log10(), max.log10());
    if !(lo.is_finite() && hi.is_finite() && hi > lo) {
        return Ticks::default();
    }
    let (d0, d1) = (lo.floor() as i32, hi.ceil() as i32);
    let mut major = Vec::new();
    let mut minor = Vec::new();
    let inside = |v: f64| v >= min * (1.0 - 1e-9) && v <= max * (1.0 + 1e-9);
    let few_decades = hi - lo <= 1.5;
    let labelled_multiple = |m: i32| few_decades && (every == 1 || every == 2 && (m == 2 || m == 5));
    for d in d0..=d1.min(d0 + 400) {
        let decade = 10f64.powi(d);
        if inside(decade) {
            let label = if ((d - d0) as usize).is_multiple_of(every.max(1)) || few_decades { decade_label(d) } else { String::new() };
            major.push((decade, label));
        }
        if d1 - d0 <= 30 {
            for m in 2..10 {
                let v = m as f64 * decade;
                if !inside(v) {
                    continue;
                }
                if labelled_multiple(m) {
                    major.push((v, plain_number(v)));
                } else {
                    minor.push(v);
                }
            }
        }
    }
    major.sort_by(|a, b| a.0.total_cmp(&b.0));
    Ticks { major, minor, exponent: None }
}

fn decade_label(d: i32) -> String {
    if (-2..=4).contains(&d) { plain_number(10f64.powi(d)) } else { format!("10^{{{d}}}") }
}

fn plain_number(v: f64) -> String {
    let d = (-(v.log10() + 1e-9).floor()).clamp(0.0, 12.0) as usize;
    if (1e-2..1e5).contains(&v) {
        format!("{v:.d$}")
    } else {
        let e = v.log10().floor();
        format!("{}#times10^{{{e}}}", (v / 10f64.powf(e)).round())
    }
}

/// Formats a statistic with 4 significant digits, like C's "%.4g" in ROOT's stats box.
pub fn sig4(v: f64) -> String {
    if !v.is_finite() {
        return "-".to_string();
    }
    if v == 0.0 {
        return "0".to_string();
    }
    let e = v.abs().log10().floor() as i32;
    if !(-4..4).contains(&e) {
        let s = format!("{:.3e}", v);
        let (m, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let m = m.trim_end_matches('0').trim_end_matches('.');
        let exp: i32 = exp.parse().unwrap_or(0);
        return format!("{m}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
    }
    let d = (3 - e).max(0) as usize;
    let s = format!("{:.*}", d, v);
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(t: &Ticks) -> Vec<f64> {
        t.major.iter().map(|m| m.0).collect()
    }
    fn texts(t: &Ticks) -> Vec<&str> {
        t.major.iter().map(|m| m.1.as_str()).collect()
    }

    #[test]
    fn root_like_steps() {
        assert_eq!(nice_step(-0.5, 99.5, 10), 10.0);
        assert_eq!(nice_step(0.0, 104.0, 10), 20.0);
        assert_eq!(nice_step(0.0, 26.5, 10), 5.0);
        assert_eq!(nice_step(-3.0, 3.0, 10), 1.0);
        assert_eq!(nice_step(0.0, 1.0, 10), 0.1);
        assert_eq!(nice_step(0.0, 0.0, 10), 1.0);
        assert_eq!(texts(&linear(-0.5, 99.5, 10)), ["0", "10", "20", "30", "40", "50", "60", "70", "80", "90"]);
        assert_eq!(texts(&linear(-3.0, 3.0, 10)), ["-3", "-2", "-1", "0", "1", "2", "3"]);
        assert_eq!(texts(&linear(0.0, 1.0, 5)), ["0", "0.2", "0.4", "0.6", "0.8", "1.0"]);
    }

    #[test]
    fn division_count_is_bounded() {
        for (lo, hi) in [(0.0, 1.0), (-7.3, 1234.5), (1e-9, 3e-9), (0.0, 80000.0), (5.0, 5.000001)] {
            for div in 1..=10 {
                let t = linear(lo, hi, div);
                assert!(t.major.len() <= div + 1 && !t.major.is_empty(), "{lo} {hi} {div}: {:?}", values(&t));
                assert!(values(&t).iter().all(|v| *v >= lo - 1e-12 && *v <= hi + 1e-12));
            }
        }
    }

    #[test]
    fn exponent_for_large_and_small_values() {
        let big = linear(0.0, 2.0e6, 5);
        assert_eq!(big.exponent, Some(6));
        assert_eq!(texts(&big), ["0", "0.5", "1.0", "1.5", "2.0"]);
        let small = linear(0.0, 0.0005, 5);
        assert_eq!(small.exponent, Some(-4));
        assert_eq!(texts(&small), ["0", "1", "2", "3", "4", "5"]);
        let plain = linear(0.0, 80000.0, 8);
        assert_eq!(plain.exponent, None);
        assert_eq!(texts(&plain).last(), Some(&"80000"));
    }

    #[test]
    fn log_decades() {
        let t = log(0.5, 2000.0, 1);
        assert_eq!(texts(&t), ["1", "10", "100", "1000"]);
        assert!(t.minor.contains(&2.0) && t.minor.contains(&2000.0));
        let wide = log(1e-8, 1e8, 4);
        assert_eq!(wide.major.len(), 17);
        assert_eq!(wide.major[0].1, "10^{-8}");
        assert_eq!(wide.major[1].1, "");
        let narrow = log(2.0, 9.0, 1);
        assert_eq!(texts(&narrow), ["2", "3", "4", "5", "6", "7", "8", "9"]);
        assert_eq!(texts(&log(1.0, 10.0, 2)), ["1", "2", "5", "10"]);
        assert_eq!(texts(&log(1.0, 10.0, 3)), ["1", "10"]);
    }

    #[test]
    fn stats_format() {
        assert_eq!(sig4(24.4712), "24.47");
        assert_eq!(sig4(5.13912), "5.139");
        assert_eq!(sig4(1000.0), "1000");
        assert_eq!(sig4(176.3466), "176.3");
        assert_eq!(sig4(0.0), "0");
        assert_eq!(sig4(1.25e-7), "1.25e-07");
        assert_eq!(sig4(-3985.0), "-3985");
        assert_eq!(sig4(123456.0), "1.235e+05");
    }
}
