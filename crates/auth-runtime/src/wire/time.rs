//! better-auth's timestamps: JavaScript's `Date.prototype.toISOString()`.
//!
//! Every date in API bodies, in SQLite/D1 text columns and in the cookie cache is written with
//! exactly three fractional digits and `Z`; the official client revives only strings of that
//! shape, and the compact cookie cache's HMAC is over the re-serialised JSON, so any other
//! spelling breaks it (`research/better-auth-wire.md` §3.3, §10 item 9).

use ::time::format_description::FormatItem;
use ::time::format_description::well_known::Rfc3339;
use ::time::macros::format_description;
use ::time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

/// A value that is not a timestamp better-auth could have written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{value}` is not a timestamp: expected ISO-8601 like `2026-11-28T08:16:29.226Z` or epoch \
     milliseconds"
)]
pub struct TimestampError {
    /// The value as given (shortened to 64 bytes).
    pub value: String,
}

/// A date alone.
const DATE: &[FormatItem<'static>] = format_description!("[year]-[month]-[day]");

/// `YYYY-MM-DD?HH:MM[:SS[.fff…]]` without an offset: SQLite's `CURRENT_TIMESTAMP` and
/// `datetime()` write this (with a space), in UTC.
const NAIVE: &[FormatItem<'static>] = format_description!(
    "[year]-[month]-[day][optional [[first [T][ ]][hour]:[minute][optional [:[second][optional [.[subsecond]]]]]]]"
);

/// Formats as `toISOString()` does: UTC, milliseconds (truncated), `Z`, e.g.
/// `2026-11-28T08:16:29.226Z`. Years outside 0..=9999 get JavaScript's six-digit signed form
/// (`+010000-01-01T00:00:00.000Z`).
///
/// Written digit by digit: every date of every API answer passes here, and `format!` was 4 % of
/// a get-session's time.
#[must_use]
pub fn format(at: OffsetDateTime) -> String {
    let at = at.to_offset(UtcOffset::UTC);
    let year = at.year();
    let mut out = String::with_capacity(27);
    if (0..=9999).contains(&year) {
        push_digits(&mut out, year.unsigned_abs(), 4);
    } else {
        out.push(if year < 0 { '-' } else { '+' });
        push_digits(&mut out, year.unsigned_abs(), 6);
    }
    for (separator, value, width) in [
        ('-', u32::from(u8::from(at.month())), 2),
        ('-', u32::from(at.day()), 2),
        ('T', u32::from(at.hour()), 2),
        (':', u32::from(at.minute()), 2),
        (':', u32::from(at.second()), 2),
        ('.', u32::from(at.millisecond()), 3),
    ] {
        out.push(separator);
        push_digits(&mut out, value, width);
    }
    out.push('Z');
    out
}

/// The last `width` decimal digits of `value`, zero-padded.
fn push_digits(out: &mut String, value: u32, width: u32) {
    for place in (0..width).rev() {
        let digit = value / 10u32.pow(place) % 10;
        out.push(char::from_digit(digit, 10).unwrap_or('0'));
    }
}

/// Parses what better-auth (or a database it wrote to) may have stored:
/// `toISOString()` output (`2026-11-28T08:16:29.226Z`), the same with any number of fractional
/// digits or none, with an offset such as `+00:00` or `+02:00`, SQLite's
/// `2026-11-28 08:16:29` (UTC), and epoch milliseconds as digits (`1795853020258`, how the
/// cookie cache and some adapters store dates).
///
/// # Errors
/// [`TimestampError`] for anything else.
pub fn parse(value: &str) -> Result<OffsetDateTime, TimestampError> {
    let trimmed = value.trim();
    let error = || TimestampError {
        value: value.chars().take(64).collect(),
    };
    if !trimmed.is_empty()
        && trimmed.len() <= 16
        && trimmed
            .trim_start_matches('-')
            .bytes()
            .all(|b| b.is_ascii_digit())
    {
        let millis: i64 = trimmed.parse().map_err(|_| error())?;
        return from_epoch_millis(millis).ok_or_else(error);
    }
    if let Ok(at) = OffsetDateTime::parse(trimmed, &Rfc3339) {
        return Ok(at.to_offset(UtcOffset::UTC));
    }
    // A space instead of `T`, `+00` / `+0000` offsets, `Z` after a naive time.
    if let Some((naive, offset)) = split_offset(trimmed) {
        let at = PrimitiveDateTime::parse(naive, NAIVE).map_err(|_| error())?;
        return Ok(at.assume_offset(offset).to_offset(UtcOffset::UTC));
    }
    if trimmed.len() == 10 {
        // A date alone is midnight UTC, as `new Date("2026-11-28")` reads it.
        return time::Date::parse(trimmed, DATE)
            .map(|date| date.midnight().assume_utc())
            .map_err(|_| error());
    }
    PrimitiveDateTime::parse(trimmed, NAIVE)
        .map(PrimitiveDateTime::assume_utc)
        .map_err(|_| error())
}

/// Splits a trailing `Z`, `±HH`, `±HHMM` or `±HH:MM` from a date-time (the date's own `-`
/// separators are before position 10).
fn split_offset(s: &str) -> Option<(&str, UtcOffset)> {
    if let Some(naive) = s.strip_suffix(['Z', 'z']) {
        return Some((naive, UtcOffset::UTC));
    }
    let sign_at = s.rfind(['+', '-']).filter(|&i| i > 10)?;
    let (naive, offset) = s.split_at(sign_at);
    let sign: i8 = if offset.starts_with('-') { -1 } else { 1 };
    let digits: String = offset[1..].chars().filter(|&c| c != ':').collect();
    if !(digits.len() == 2 || digits.len() == 4) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hours: i8 = digits[..2].parse().ok()?;
    let minutes: i8 = digits
        .get(2..)
        .filter(|m| !m.is_empty())
        .map_or(Some(0), |m| m.parse().ok())?;
    if hours > 23 || minutes > 59 {
        return None;
    }
    let offset = UtcOffset::from_hms(sign * hours, sign * minutes, 0).ok()?;
    Some((naive.trim_end(), offset))
}

/// The instant `millis` milliseconds after the Unix epoch (JavaScript's `new Date(millis)`), if
/// representable.
#[must_use]
pub fn from_epoch_millis(millis: i64) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000).ok()
}

/// Milliseconds since the Unix epoch (JavaScript's `date.getTime()`), rounded down.
#[must_use]
pub fn to_epoch_millis(at: OffsetDateTime) -> i64 {
    let millis = at.unix_timestamp_nanos().div_euclid(1_000_000);
    i64::try_from(millis).unwrap_or(if millis < 0 { i64::MIN } else { i64::MAX })
}

/// Formats a cookie's `Expires` attribute as JavaScript's `Date.prototype.toUTCString()`:
/// `Sat, 28 Nov 2026 08:16:29 GMT`.
#[must_use]
pub fn format_http_date(at: OffsetDateTime) -> String {
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let at = at.to_offset(UtcOffset::UTC);
    let day = DAYS[usize::from(at.weekday().number_days_from_monday())];
    let month = MONTHS[usize::from(u8::from(at.month()) - 1)];
    let year = at.year();
    let year = if year < 0 {
        format!("-{:04}", year.unsigned_abs())
    } else {
        format!("{year:04}")
    };
    format!(
        "{day}, {:02} {month} {year} {:02}:{:02}:{:02} GMT",
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::time::macros::datetime;

    fn parsed(value: &str) -> OffsetDateTime {
        parse(value).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn formats_like_to_iso_string() {
        // From captures/transcript.txt.
        assert_eq!(
            format(datetime!(2026-11-28 08:16:29.226 UTC)),
            "2026-11-28T08:16:29.226Z"
        );
        assert_eq!(
            format(datetime!(2026-11-28 08:08:26.013 UTC)),
            "2026-11-28T08:08:26.013Z"
        );
        assert_eq!(
            format(datetime!(2026-11-28 08:08:26 UTC)),
            "2026-11-28T08:08:26.000Z"
        );
        // Truncated, not rounded, like a JavaScript Date (which holds milliseconds).
        assert_eq!(
            format(datetime!(2026-11-28 23:59:59.999_999 UTC)),
            "2026-11-28T23:59:59.999Z"
        );
        assert_eq!(
            format(datetime!(2026-11-28 10:00:00 +02:00)),
            "2026-11-28T08:00:00.000Z"
        );
        assert_eq!(
            format(datetime!(0099-01-01 00:00:00 UTC)),
            "0099-01-01T00:00:00.000Z"
        );
        // JavaScript's expanded years: `new Date(Date.UTC(-1, 11, 31, 23, 59, 59, 500))`.
        assert_eq!(
            format(datetime!(-0001-12-31 23:59:59.5 UTC)),
            "-000001-12-31T23:59:59.500Z"
        );
    }

    proptest::proptest! {
        /// Any millisecond JavaScript can hold in a four-digit year reads back as itself, and
        /// its fields are `time`'s own (the digits are written by hand).
        #[test]
        fn formats_every_instant_as_time_reads_it(millis in -62_167_219_200_000_i64..253_402_300_800_000) {
            let at = from_epoch_millis(millis).unwrap_or_else(|| panic!("{millis}"));
            let text = format(at);
            proptest::prop_assert_eq!(to_epoch_millis(parsed(&text)), millis);
            let expected = format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
                at.year(),
                u8::from(at.month()),
                at.day(),
                at.hour(),
                at.minute(),
                at.second(),
                at.millisecond()
            );
            proptest::prop_assert_eq!(text, expected);
        }
    }

    #[test]
    fn round_trips() {
        for s in [
            "2026-11-28T08:16:29.226Z",
            "1970-01-01T00:00:00.000Z",
            "2038-01-19T03:14:08.001Z",
        ] {
            assert_eq!(format(parsed(s)), s);
        }
    }

    #[test]
    fn parses_what_better_auth_may_have_stored() {
        let at = datetime!(2026-11-28 08:16:29.226 UTC);
        for s in [
            "2026-11-28T08:16:29.226Z",
            "2026-11-28T08:16:29.226+00:00",
            "2026-11-28T10:16:29.226+02:00",
            "2026-11-28T08:16:29.226000Z",
            "2026-11-28 08:16:29.226",
            "2026-11-28 08:16:29.226Z",
            "2026-11-28 08:16:29.226+00",
            "2026-11-28 08:16:29.226+0000",
            "1795853789226",
            " 2026-11-28T08:16:29.226Z ",
        ] {
            assert_eq!(parsed(s), at, "{s}");
        }
        assert_eq!(
            parsed("2026-11-28T08:16:29Z"),
            datetime!(2026-11-28 08:16:29 UTC)
        );
        assert_eq!(
            parsed("2026-11-28 08:16:29"),
            datetime!(2026-11-28 08:16:29 UTC)
        );
        // The cookie-cache `updatedAt` quoted in better-auth-wire.md §3.3.
        assert_eq!(format(parsed("1795853020258")), "2026-11-28T08:03:40.258Z");
        assert_eq!(parsed("0"), OffsetDateTime::UNIX_EPOCH);
        assert_eq!(parsed("-1"), datetime!(1969-12-31 23:59:59.999 UTC));
    }

    #[test]
    fn a_date_alone_is_midnight_utc() {
        assert_eq!(
            parse("2026-11-28").map(format).ok().as_deref(),
            Some("2026-11-28T00:00:00.000Z")
        );
        assert_eq!(
            parse("2026-11-28T08:02Z").map(format).ok().as_deref(),
            Some("2026-11-28T08:02:00.000Z")
        );
    }

    #[test]
    fn refuses_garbage() {
        for s in [
            "",
            "now",
            "2026-13-01T00:00:00Z",
            "2026-11-28T08:16:29+25:00",
            "12345678901234567890",
            "--1",
            "2026-11-28T08:16:29.226Q",
        ] {
            assert!(parse(s).is_err(), "{s}");
        }
    }

    #[test]
    fn epoch_millis_round_trip() {
        let at = datetime!(2026-11-28 08:16:29.226 UTC);
        assert_eq!(to_epoch_millis(at), 1_795_853_789_226);
        assert_eq!(from_epoch_millis(1_795_853_789_226), Some(at));
        assert_eq!(to_epoch_millis(datetime!(1969-12-31 23:59:59.9995 UTC)), -1);
    }

    #[test]
    fn formats_expires_like_to_utc_string() {
        assert_eq!(
            format_http_date(datetime!(2026-11-28 08:16:29.226 UTC)),
            "Sat, 28 Nov 2026 08:16:29 GMT"
        );
        assert_eq!(
            format_http_date(datetime!(2027-01-04 00:00:00 UTC)),
            "Mon, 04 Jan 2027 00:00:00 GMT"
        );
    }
}
