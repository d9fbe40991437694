//! STIX timestamps: RFC 3339 instants in UTC with a `Z`, keeping the number
//! of fraction digits they were written with.
//!
//! The specification allows any number of fraction digits (`created` and
//! `modified` need at least three), so a [`Timestamp`] stores the instant to
//! the nanosecond plus how many digits to print. Equality, ordering and
//! hashing look at the instant only: `…:00Z` and `…:00.000Z` are the same
//! moment and compare equal, while each prints as it was written.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

/// An instant between years 0000 and 9999, UTC, with its printed precision.
#[derive(Debug, Clone, Copy)]
pub struct Timestamp {
    seconds: i64,
    nanos: u32,
    fraction_digits: u16,
}

/// Why a string is not a STIX timestamp.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected a timestamp YYYY-MM-DDTHH:MM:SS[.s+]Z: {reason}")]
pub struct TimestampError {
    /// What is wrong, e.g. `month 13 is out of range`.
    pub reason: String,
}

/// The most fraction digits accepted; more than this is surely not a
/// timestamp and would only make printing slow.
const MAX_FRACTION_DIGITS: usize = 64;

const NANOS_PER_SECOND: i128 = 1_000_000_000;

impl Timestamp {
    /// Parses `YYYY-MM-DDTHH:MM:SS[.s+]Z` (upper-case `T` and `Z`, as STIX
    /// requires). Calendar dates are checked (no 30 February); a leap second
    /// `:60` is accepted and counted as the next second.
    pub fn parse(text: &str) -> Result<Timestamp, TimestampError> {
        let fail = |reason: &str| TimestampError {
            reason: reason.to_string(),
        };
        let bytes = text.as_bytes();
        if bytes.len() < 20 {
            return Err(fail("too short"));
        }
        let digits = |range: std::ops::Range<usize>| -> Result<i64, TimestampError> {
            let part = &bytes[range];
            if !part.iter().all(u8::is_ascii_digit) {
                return Err(fail("a digit is missing"));
            }
            Ok(part
                .iter()
                .fold(0i64, |acc, digit| acc * 10 + i64::from(digit - b'0')))
        };
        let separators = [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')];
        for (idx, expected) in separators {
            if bytes[idx] != expected {
                return Err(fail(&format!(
                    "expected '{}' at offset {idx}",
                    char::from(expected)
                )));
            }
        }
        let year = digits(0..4)?;
        let month = digits(5..7)?;
        let day = digits(8..10)?;
        let hour = digits(11..13)?;
        let minute = digits(14..16)?;
        let second = digits(17..19)?;
        if !(1..=12).contains(&month) {
            return Err(fail(&format!("month {month} is out of range")));
        }
        if day < 1 || day > days_in_month(year, month) {
            return Err(fail(&format!("day {day} is out of range")));
        }
        if hour > 23 {
            return Err(fail(&format!("hour {hour} is out of range")));
        }
        if minute > 59 {
            return Err(fail(&format!("minute {minute} is out of range")));
        }
        if second > 60 {
            return Err(fail(&format!("second {second} is out of range")));
        }
        let rest = &bytes[19..];
        let (fraction, zone) = match rest.first() {
            Some(b'.') => {
                let count = rest[1..]
                    .iter()
                    .take_while(|it| it.is_ascii_digit())
                    .count();
                if count == 0 {
                    return Err(fail("a '.' must be followed by digits"));
                }
                (&rest[1..=count], &rest[1 + count..])
            }
            _ => (&rest[..0], rest),
        };
        if zone != b"Z" {
            return Err(fail(
                "the time zone must be 'Z' (UTC) and end the timestamp",
            ));
        }
        if fraction.len() > MAX_FRACTION_DIGITS {
            return Err(fail("too many fraction digits"));
        }
        let nanos = fraction
            .iter()
            .chain(std::iter::repeat(&b'0'))
            .take(9)
            .fold(0u32, |acc, digit| acc * 10 + u32::from(digit - b'0'));
        let seconds =
            days_from_civil(year, month, day) * 86_400 + hour * 3_600 + minute * 60 + second;
        if seconds > MAX_SECONDS {
            return Err(fail(
                "a leap second at the end of year 9999 is out of range",
            ));
        }
        Ok(Timestamp {
            seconds,
            nanos,
            fraction_digits: u16::try_from(fraction.len()).expect("at most 64 digits"),
        })
    }

    /// The instant `seconds` + `nanos` after the Unix epoch, printed with
    /// millisecond precision (what `created` and `modified` need).
    /// `None` outside years 0000–9999 or if `nanos` is not below 10⁹.
    pub fn from_unix(seconds: i64, nanos: u32) -> Option<Timestamp> {
        Timestamp::from_unix_with_digits(seconds, nanos, 3)
    }

    /// Like [`Timestamp::from_unix`], printed with `fraction_digits` digits.
    pub fn from_unix_with_digits(
        seconds: i64,
        nanos: u32,
        fraction_digits: u16,
    ) -> Option<Timestamp> {
        let in_range = (MIN_SECONDS..=MAX_SECONDS).contains(&seconds);
        (in_range && nanos < 1_000_000_000 && usize::from(fraction_digits) <= MAX_FRACTION_DIGITS)
            .then_some(Timestamp {
                seconds,
                nanos,
                fraction_digits,
            })
    }

    /// Whole seconds since the Unix epoch (negative before 1970).
    pub fn unix_seconds(&self) -> i64 {
        self.seconds
    }

    /// Nanoseconds within the second.
    pub fn subsec_nanos(&self) -> u32 {
        self.nanos
    }

    /// Nanoseconds since the Unix epoch; wide enough for years 0000–9999.
    pub fn unix_nanos(&self) -> i128 {
        i128::from(self.seconds) * NANOS_PER_SECOND + i128::from(self.nanos)
    }

    /// How many fraction digits the timestamp prints with.
    pub fn fraction_digits(&self) -> u16 {
        self.fraction_digits
    }

    /// The same instant, printed with `fraction_digits` digits (capped at 64).
    pub fn with_fraction_digits(self, fraction_digits: u16) -> Timestamp {
        Timestamp {
            fraction_digits: fraction_digits.min(MAX_FRACTION_DIGITS as u16),
            ..self
        }
    }
}

/// 0000-01-01T00:00:00Z.
const MIN_SECONDS: i64 = -62_167_219_200;
/// 9999-12-31T23:59:59Z.
const MAX_SECONDS: i64 = 253_402_300_799;

impl PartialEq for Timestamp {
    fn eq(&self, other: &Timestamp) -> bool {
        (self.seconds, self.nanos) == (other.seconds, other.nanos)
    }
}

impl Eq for Timestamp {}

impl Hash for Timestamp {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (self.seconds, self.nanos).hash(state);
    }
}

impl PartialOrd for Timestamp {
    fn partial_cmp(&self, other: &Timestamp) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Timestamp {
    fn cmp(&self, other: &Timestamp) -> Ordering {
        (self.seconds, self.nanos).cmp(&(other.seconds, other.nanos))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.seconds.div_euclid(86_400);
        let of_day = self.seconds.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
            of_day / 3_600,
            of_day / 60 % 60,
            of_day % 60
        )?;
        if self.fraction_digits > 0 {
            let nanos = format!("{:09}", self.nanos);
            let digits = usize::from(self.fraction_digits);
            if digits <= 9 {
                write!(f, ".{}", &nanos[..digits])?;
            } else {
                write!(f, ".{nanos}{}", "0".repeat(digits - 9))?;
            }
        }
        f.write_str("Z")
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Timestamp, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Timestamp::parse(&text).map_err(serde::de::Error::custom)
    }
}

fn is_leap_year(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}
