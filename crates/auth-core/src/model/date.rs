//! Dates in better-auth's wire form, `2025-01-31T12:00:00.000Z`, without a date crate.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

const MILLIS_PER_DAY: i64 = 86_400_000;

/// ISO-8601 in UTC with exactly three fractional digits and `Z`, as better-auth writes dates.
pub fn format_date(time: SystemTime) -> String {
    let millis = match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_millis()).unwrap_or(i64::MAX),
        Err(before) => {
            let before = before.duration();
            let whole = i64::try_from(before.as_millis()).unwrap_or(i64::MAX);
            // Round towards the past, so the printed time is never later than the real one.
            -whole - i64::from(before.subsec_nanos() % 1_000_000 != 0)
        }
    };
    let (days, in_day) = (
        millis.div_euclid(MILLIS_PER_DAY),
        millis.rem_euclid(MILLIS_PER_DAY),
    );
    let (year, month, day) = civil_from_days(days);
    let seconds = in_day / 1000;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60,
        in_day % 1000
    )
}

/// Parses `YYYY-MM-DD(T| )HH:MM:SS[.fraction][Z|±HH:MM]`; no zone means UTC (SQLite's
/// `CURRENT_TIMESTAMP` writes `2025-01-31 12:00:00`).
pub fn parse_date(text: &str) -> Option<SystemTime> {
    let bytes = text.as_bytes();
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        let digits = bytes.get(range)?;
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(digits).ok()?.parse().ok()
    };
    let separators = [(4, b'-'), (7, b'-'), (13, b':'), (16, b':')];
    if separators
        .iter()
        .any(|(at, byte)| bytes.get(*at) != Some(byte))
        || !matches!(bytes.get(10), Some(b'T' | b't' | b' '))
    {
        return None;
    }
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let mut rest = &text[19..];
    let mut nanos = 0_i64;
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        for (i, byte) in fraction.bytes().take(digits.min(9)).enumerate() {
            nanos += i64::from(byte - b'0') * 10_i64.pow(8 - u32::try_from(i).ok()?);
        }
        rest = &fraction[digits..];
    }
    let offset_minutes = match rest.as_bytes() {
        [] | [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let digits = [*h1, *h2, *m1, *m2];
            if !digits.iter().all(u8::is_ascii_digit) {
                return None;
            }
            let [h1, h2, m1, m2] = digits.map(|d| i64::from(d - b'0'));
            let minutes = (h1 * 10 + h2) * 60 + m1 * 10 + m2;
            if *sign == b'-' { -minutes } else { minutes }
        }
        _ => return None,
    };
    let seconds = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second
        - offset_minutes * 60;
    let nanos = u32::try_from(nanos).ok()?;
    if seconds >= 0 {
        UNIX_EPOCH.checked_add(Duration::new(u64::try_from(seconds).ok()?, nanos))
    } else {
        UNIX_EPOCH
            .checked_sub(Duration::from_secs(seconds.unsigned_abs()))?
            .checked_add(Duration::from_nanos(u64::from(nanos)))
    }
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let day_of_year = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_better_auth() {
        assert_eq!(format_date(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let t = UNIX_EPOCH + Duration::from_millis(1_738_324_800_123);
        assert_eq!(format_date(t), "2025-01-31T12:00:00.123Z");
        let before = UNIX_EPOCH - Duration::from_millis(1);
        assert_eq!(format_date(before), "1969-12-31T23:59:59.999Z");
    }

    #[test]
    fn parses_what_it_formats_and_what_databases_write() {
        for millis in [0_i64, 1, 951_782_400_000, 1_738_324_800_123, -86_400_001] {
            let t = if millis >= 0 {
                UNIX_EPOCH + Duration::from_millis(millis.unsigned_abs())
            } else {
                UNIX_EPOCH - Duration::from_millis(millis.unsigned_abs())
            };
            assert_eq!(parse_date(&format_date(t)), Some(t), "{millis}");
        }
        let t = UNIX_EPOCH + Duration::from_secs(1_738_324_800);
        assert_eq!(parse_date("2025-01-31 12:00:00"), Some(t));
        assert_eq!(parse_date("2025-01-31T13:30:00+01:30"), Some(t));
        assert_eq!(
            parse_date("2025-01-31T12:00:00.5Z"),
            Some(t + Duration::from_millis(500))
        );
        for bad in [
            "",
            "2025-02-30T00:00:00Z",
            "2025-01-31",
            "2025-01-31T24:00:00Z",
            "2025-01-31T12:00:00.Z",
            "2025-01-31T12:00:00+0100",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }
}
