//! Unit checks of the UI's pure helpers; pages are tested in tests/it and
//! in the browser test.

use crate::ui::page::utc;

#[track_caller]
fn check_utc(millis: i64, expect: (&str, &str)) {
    let (date, clock) = utc(millis);
    assert_eq!((date.as_str(), clock.as_str()), expect);
}

#[test]
fn utc_formats_civil_dates() {
    check_utc(0, ("1970-01-01", "00:00:00"));
    check_utc(951_782_400_000, ("2000-02-29", "00:00:00"));
    check_utc(1_735_689_599_000, ("2024-12-31", "23:59:59"));
    check_utc(-1_000, ("1969-12-31", "23:59:59"));
}
