//! Instants as UNIX microseconds (PostgreSQL's precision), and their ISO form in Europe/Zurich.
//!
//! Only the Europe/Zurich rule the original serves is needed (CET, CEST from the last Sunday of March
//! 01:00 UTC to the last Sunday of October 01:00 UTC; the EU rule since 1996), so no tz database is pulled in.

use civil_date::{civil_from_days, days_from_civil, split_unix};

/// The original's DEFAULT_DATETIME, 2012-03-03 10:10:10 Europe/Zurich.
pub const DEFAULT_TIMESTAMP_US: i64 = 1_330_765_810_000_000;

/// UNIX seconds (as fff_dqmtools sends them) to microseconds; `None` for NaN or out-of-range values.
pub fn seconds_to_us(seconds: f64) -> Option<i64> {
    let us = (seconds * 1e6).round();
    (us.is_finite() && us.abs() < 1e17).then_some(us as i64)
}

/// Microseconds to UNIX seconds, the way Python's `datetime.timestamp()` computes them.
pub fn us_to_seconds(us: i64) -> f64 {
    us as f64 / 1e6
}

/// `2022-09-15T13:50:18.284412+02:00` (no fraction when it is zero, like Python's `isoformat`).
pub fn zurich_iso(us: i64) -> String {
    let mut out = String::with_capacity(32);
    write_zurich_iso(us, &mut out);
    out
}

/// Instants whose year (in any zone) is 0..=9999; the others take the general formatter.
const FOUR_DIGIT_YEARS_US: std::ops::Range<i64> =
    -62_167_219_200_000_000 + 86_400_000_000..253_402_300_800_000_000 - 86_400_000_000;

/// [`zurich_iso`] appended to `out`, digit by digit and with one calendar conversion (`get_runs` writes
/// one per row).
pub fn write_zurich_iso(us: i64, out: &mut String) {
    if !FOUR_DIGIT_YEARS_US.contains(&us) {
        return write_zurich_iso_general(us, out);
    }
    let utc_s = us.div_euclid(1_000_000);
    let (utc_days, _) = split_unix(utc_s);
    let (utc_y, utc_m, utc_d) = civil_from_days(utc_days);
    let offset_s = zurich_offset_in(utc_s, utc_y, utc_m);
    let (days, sod) = split_unix(utc_s + offset_s);
    let (y, m, d) = if days == utc_days {
        (utc_y, utc_m, utc_d)
    } else {
        civil_from_days(days)
    };
    let micros = us.rem_euclid(1_000_000);
    let mut text = *b"0000-00-00T00:00:00";
    put_digits(&mut text[0..4], y);
    put_digits(&mut text[5..7], i64::from(m));
    put_digits(&mut text[8..10], i64::from(d));
    put_digits(&mut text[11..13], sod / 3600);
    put_digits(&mut text[14..16], sod / 60 % 60);
    put_digits(&mut text[17..19], sod % 60);
    out.push_str(std::str::from_utf8(&text).unwrap_or_default());
    if micros != 0 {
        let mut fraction = *b".000000";
        put_digits(&mut fraction[1..], micros);
        out.push_str(std::str::from_utf8(&fraction).unwrap_or_default());
    }
    out.push_str(if offset_s == 7200 { "+02:00" } else { "+01:00" });
}

/// The same text through the formatter, for any instant (years beyond four digits or negative).
fn write_zurich_iso_general(us: i64, out: &mut String) {
    use std::fmt::Write;
    let offset_s = zurich_offset_seconds(us.div_euclid(1_000_000));
    let local_us = us.wrapping_add(offset_s * 1_000_000);
    let (secs, micros) = (
        local_us.div_euclid(1_000_000),
        local_us.rem_euclid(1_000_000),
    );
    let (days, sod) = split_unix(secs);
    let (y, m, d) = civil_from_days(days);
    let _ = write!(
        out,
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        sod / 3600,
        sod / 60 % 60,
        sod % 60
    );
    if micros != 0 {
        let _ = write!(out, ".{micros:06}");
    }
    let _ = write!(out, "+{:02}:00", offset_s / 3600);
}

/// `value` (non-negative, fewer digits than `slot` is long) as zero-padded ASCII digits into `slot`.
fn put_digits(slot: &mut [u8], mut value: i64) {
    for digit in slot.iter_mut().rev() {
        *digit = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.ffffff](+|-)HH:MM` (or `Z`) into microseconds.
pub fn parse_iso(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let s = text.get(from..from + len)?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (y, mo, d, h, mi, s) = (
        num(0, 4)?,
        num(5, 2)?,
        num(8, 2)?,
        num(11, 2)?,
        num(14, 2)?,
        num(17, 2)?,
    );
    let mut pos = 19;
    let mut micros = 0;
    if b.get(pos) == Some(&b'.') {
        let digits = b[pos + 1..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        let frac = &text[pos + 1..pos + 1 + digits.min(6)];
        micros = format!("{frac:0<6}").parse().ok()?;
        pos += 1 + digits;
    }
    let offset_s = match b.get(pos) {
        Some(b'Z') | None => 0,
        Some(sign @ (b'+' | b'-')) => {
            let value = num(pos + 1, 2)? * 3600 + num(pos + 4, 2)? * 60;
            if *sign == b'-' {
                -value
            } else {
                value
            }
        }
        _ => return None,
    };
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let secs = days_from_civil(y, mo as u32, d as u32) * 86_400 + h * 3600 + mi * 60 + s - offset_s;
    Some(secs * 1_000_000 + micros)
}

fn zurich_offset_seconds(unix_s: i64) -> i64 {
    let (year, month, _) = civil_from_days(split_unix(unix_s).0);
    zurich_offset_in(unix_s, year, month)
}

/// The offset at `unix_s`, whose UTC date is in `year`, `month`: only March and October need the switch days.
fn zurich_offset_in(unix_s: i64, year: i64, month: u32) -> i64 {
    let summer = match month {
        4..=9 => true,
        3 => unix_s >= last_sunday_utc_1am(year, 3),
        10 => unix_s < last_sunday_utc_1am(year, 10),
        _ => false,
    };
    if summer {
        7200
    } else {
        3600
    }
}

/// The rule as first written: the whole year's switch instants, then a range check.
#[cfg(test)]
fn zurich_offset_by_range(unix_s: i64) -> i64 {
    let (year, _, _) = civil_from_days(split_unix(unix_s).0);
    let start = last_sunday_utc_1am(year, 3);
    let end = last_sunday_utc_1am(year, 10);
    if (start..end).contains(&unix_s) {
        7200
    } else {
        3600
    }
}

fn last_sunday_utc_1am(year: i64, month: u32) -> i64 {
    let last_day = days_from_civil(year, month, 31);
    // 1970-01-01 was a Thursday: weekday 0 = Sunday.
    let weekday = (last_day + 4).rem_euclid(7);
    (last_day - weekday) * 86_400 + 3600
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_round_trips_in_summer_and_winter() {
        for text in [
            "2022-09-15T13:50:18.284412+02:00",
            "1970-01-01T00:59:59+01:00",
            "2012-03-03T10:10:10+01:00",
        ] {
            assert_eq!(zurich_iso(parse_iso(text).unwrap()), text);
        }
        assert_eq!(
            parse_iso("2012-03-03T10:10:10+01:00"),
            Some(DEFAULT_TIMESTAMP_US)
        );
        assert_eq!(parse_iso("1970-01-01T00:59:59+01:00"), Some(-1_000_000));
    }

    #[test]
    fn daylight_saving_switches_on_the_last_sundays() {
        // 2022-03-27 01:00 UTC and 2022-10-30 01:00 UTC.
        assert!(zurich_iso(1_648_342_799_000_000).ends_with("+01:00"));
        assert!(zurich_iso(1_648_342_800_000_000).ends_with("+02:00"));
        assert!(zurich_iso(1_667_091_599_000_000).ends_with("+02:00"));
        assert!(zurich_iso(1_667_091_600_000_000).ends_with("+01:00"));
    }

    /// The `format!` form `zurich_iso` had before it wrote digit by digit.
    fn zurich_iso_by_format(us: i64) -> String {
        let offset_s = zurich_offset_by_range(us.div_euclid(1_000_000));
        let local_us = us.wrapping_add(offset_s * 1_000_000);
        let (secs, micros) = (
            local_us.div_euclid(1_000_000),
            local_us.rem_euclid(1_000_000),
        );
        let (days, sod) = split_unix(secs);
        let (y, m, d) = civil_from_days(days);
        let mut out = format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
            sod / 3600,
            sod / 60 % 60,
            sod % 60
        );
        if micros != 0 {
            out.push_str(&format!(".{micros:06}"));
        }
        out.push_str(&format!("+{:02}:00", offset_s / 3600));
        out
    }

    #[test]
    fn digit_by_digit_iso_matches_the_formatter() {
        let mut us: i64 = -70_000_000_000_000_000;
        let mut checked = 0;
        while us < 70_000_000_000_000_000 {
            for value in [us, us + 1, us - 1, us / 1_000_000 * 1_000_000, us + 999_999] {
                assert_eq!(zurich_iso(value), zurich_iso_by_format(value), "{value}");
            }
            checked += 1;
            // A step that is not a round number of seconds, so times of day and fractions vary.
            us += 1_234_567_890_123_457;
        }
        assert!(checked > 100);
        // Every hour, and every second around each switch, over 1995..2040 (both rules' edges).
        let mut hour = 788_918_400_000_000;
        while hour < 2_208_988_800_000_000 {
            assert_eq!(
                zurich_iso(hour + 123),
                zurich_iso_by_format(hour + 123),
                "{hour}"
            );
            hour += 3_600_000_000;
        }
        for year in 1995..2040 {
            for month in [3, 10] {
                let switch = last_sunday_utc_1am(year, month) * 1_000_000;
                for delta in (-7_200..7_200).map(|s| s * 1_000_000) {
                    let at = switch + delta;
                    assert_eq!(zurich_iso(at), zurich_iso_by_format(at), "{at}");
                }
            }
        }
        for edge in [FOUR_DIGIT_YEARS_US.start, FOUR_DIGIT_YEARS_US.end] {
            for delta in [-86_400_000_001, -1, 0, 1, 86_400_000_001] {
                let at = edge + delta;
                assert_eq!(zurich_iso(at), zurich_iso_by_format(at), "{at}");
            }
        }
        for value in [
            0,
            -1,
            1,
            DEFAULT_TIMESTAMP_US,
            1_663_242_618_284_412,
            253_402_300_799_999_999,
            -62_135_596_800_000_000,
            i64::MAX,
            i64::MIN,
        ] {
            assert_eq!(zurich_iso(value), zurich_iso_by_format(value), "{value}");
        }
    }

    #[test]
    fn bad_iso_is_rejected() {
        assert_eq!(parse_iso("yesterday"), None);
        assert_eq!(parse_iso("2022-13-15T13:50:18+02:00"), None);
        assert_eq!(parse_iso("2022-09-15T13:50:18~02:00"), None);
    }
}
