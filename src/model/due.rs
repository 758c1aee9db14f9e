//! Due dates as a facilitator types them in the middle of a session: an ISO date, or a quick
//! relative form such as `+2w`. Pure: the caller says what "today" is.

use chrono::{Days, Months, NaiveDate};

/// What [`parse_due`] accepts, for messages and hints.
pub const ACCEPTED: &str = "use a date like 2026-12-15, +10d, +2w, +1m, today or tomorrow";

/// Parses a due date relative to `today`:
///
/// - `2026-12-15` (ISO year-month-day; one-digit months and days are fine),
/// - `+10d`, `+2w`, `+1m` (days, weeks, calendar months; the `+` is optional),
/// - `today`, `tomorrow`.
///
/// Case-insensitive; surrounding spaces are ignored. A month step keeps the day of the month
/// where it can and otherwise lands on the month's last day (`+1m` from Jan 31 is Feb 28 or 29).
/// The error is a short message that says what is accepted.
pub fn parse_due(text: &str, today: NaiveDate) -> Result<NaiveDate, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(format!("no date given: {ACCEPTED}"));
    }
    let lower = trimmed.to_ascii_lowercase();
    match lower.as_str() {
        "today" => return Ok(today),
        "tomorrow" => {
            return today
                .checked_add_days(Days::new(1))
                .ok_or_else(|| too_far(trimmed));
        }
        _ => {}
    }
    if let Some(date) = parse_iso(&lower) {
        return date.ok_or_else(|| format!("{trimmed} is not a calendar date"));
    }
    if let Some((count, unit)) = parse_relative(&lower) {
        let Some(count) = count else {
            return Err(too_far(trimmed));
        };
        let date = match unit {
            'd' => today.checked_add_days(Days::new(u64::from(count))),
            'w' => today.checked_add_days(Days::new(u64::from(count) * 7)),
            _ => today.checked_add_months(Months::new(count)),
        };
        return date.ok_or_else(|| too_far(trimmed));
    }
    Err(format!(
        "cannot read {} as a due date: {ACCEPTED}",
        quoted(trimmed)
    ))
}

/// `"Tue 2026-12-15"`: the weekday helps people notice a due date that falls on a weekend.
pub fn with_weekday(date: NaiveDate) -> String {
    date.format("%a %Y-%m-%d").to_string()
}

/// `Some(Some(date))` for a valid ISO date, `Some(None)` for the ISO shape with an impossible
/// date (2026-02-30), `None` for anything else.
fn parse_iso(text: &str) -> Option<Option<NaiveDate>> {
    let mut parts = text.split('-');
    let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let digits = |s: &str, min: usize, max: usize| {
        (min..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    };
    if !(digits(year, 4, 4) && digits(month, 1, 2) && digits(day, 1, 2)) {
        return None;
    }
    let (Ok(year), Ok(month), Ok(day)) = (year.parse(), month.parse(), day.parse()) else {
        return None;
    };
    Some(NaiveDate::from_ymd_opt(year, month, day))
}

/// `+10d` / `10d` as `(Some(10), 'd')`; `Some((None, unit))` when the number is too large to be a
/// date at all; `None` if it is not of this shape.
fn parse_relative(text: &str) -> Option<(Option<u32>, char)> {
    let body = text.strip_prefix('+').unwrap_or(text);
    let unit = body.chars().last()?;
    if !matches!(unit, 'd' | 'w' | 'm') {
        return None;
    }
    let number = &body[..body.len() - unit.len_utf8()];
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((number.parse().ok(), unit))
}

fn too_far(text: &str) -> String {
    format!("{} is too far in the future", quoted(text))
}

/// The text as typed, safe to show and not overly long.
fn quoted(text: &str) -> String {
    const MAX: usize = 40;
    let shown: String = if text.chars().count() > MAX {
        text.chars().take(MAX - 1).chain(['…']).collect()
    } else {
        text.to_string()
    };
    format!("\"{}\"", super::text::escape_control(&shown))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_else(|| panic!("bad test date {y}-{m}-{d}"))
    }

    fn today() -> NaiveDate {
        day(2026, 11, 20)
    }

    #[test]
    fn iso_dates() {
        assert_eq!(parse_due("2026-12-15", today()), Ok(day(2026, 12, 15)));
        assert_eq!(parse_due("  2026-12-15\t", today()), Ok(day(2026, 12, 15)));
        assert_eq!(parse_due("2027-1-5", today()), Ok(day(2027, 1, 5)));
        // A date in the past is still a date; whether it is sensible is the caller's call.
        assert_eq!(parse_due("2020-01-01", today()), Ok(day(2020, 1, 1)));
    }

    #[test]
    fn impossible_calendar_dates_say_so() {
        assert_eq!(
            parse_due("2026-02-30", today()),
            Err("2026-02-30 is not a calendar date".to_string())
        );
        assert_eq!(
            parse_due("2026-13-01", today()),
            Err("2026-13-01 is not a calendar date".to_string())
        );
        assert_eq!(
            parse_due("2026-02-29", today()),
            Err("2026-02-29 is not a calendar date".to_string())
        );
    }

    #[test]
    fn leap_years() {
        assert_eq!(parse_due("2028-02-29", today()), Ok(day(2028, 2, 29)));
        assert_eq!(parse_due("+1d", day(2028, 2, 28)), Ok(day(2028, 2, 29)));
        assert_eq!(parse_due("+1d", day(2026, 2, 28)), Ok(day(2026, 3, 1)));
        assert_eq!(parse_due("+1w", day(2028, 2, 25)), Ok(day(2028, 3, 3)));
        // 2100 is not a leap year, 2000 was.
        assert_eq!(parse_due("+1d", day(2100, 2, 28)), Ok(day(2100, 3, 1)));
        assert_eq!(parse_due("+1d", day(2000, 2, 28)), Ok(day(2000, 2, 29)));
    }

    #[test]
    fn relative_days_and_weeks() {
        assert_eq!(parse_due("+10d", today()), Ok(day(2026, 11, 30)));
        assert_eq!(parse_due("10d", today()), Ok(day(2026, 11, 30)));
        assert_eq!(parse_due("+2w", today()), Ok(day(2026, 12, 4)));
        assert_eq!(parse_due("2W", today()), Ok(day(2026, 12, 4)));
        assert_eq!(parse_due(" +0d ", today()), Ok(today()));
        assert_eq!(parse_due("+45d", today()), Ok(day(2027, 1, 4)));
    }

    #[test]
    fn calendar_months_clamp_to_the_month_end() {
        assert_eq!(parse_due("+1m", today()), Ok(day(2026, 12, 20)));
        assert_eq!(parse_due("+2M", today()), Ok(day(2027, 1, 20)));
        assert_eq!(parse_due("+1m", day(2026, 1, 31)), Ok(day(2026, 2, 28)));
        assert_eq!(parse_due("+1m", day(2028, 1, 31)), Ok(day(2028, 2, 29)));
        assert_eq!(parse_due("+1m", day(2026, 3, 31)), Ok(day(2026, 4, 30)));
        assert_eq!(parse_due("+12m", day(2028, 2, 29)), Ok(day(2029, 2, 28)));
        assert_eq!(parse_due("1m", day(2026, 12, 31)), Ok(day(2027, 1, 31)));
    }

    #[test]
    fn words() {
        assert_eq!(parse_due("today", today()), Ok(today()));
        assert_eq!(parse_due(" Today ", today()), Ok(today()));
        assert_eq!(parse_due("TOMORROW", today()), Ok(day(2026, 11, 21)));
        assert_eq!(
            parse_due("tomorrow", day(2026, 12, 31)),
            Ok(day(2027, 1, 1))
        );
    }

    #[test]
    fn bad_input_says_what_is_accepted() {
        assert_eq!(
            parse_due("next week", today()),
            Err(
                "cannot read \"next week\" as a due date: use a date like 2026-12-15, +10d, \
                 +2w, +1m, today or tomorrow"
                    .to_string()
            )
        );
        assert_eq!(
            parse_due("   ", today()),
            Err(format!("no date given: {ACCEPTED}"))
        );
        for bad in [
            "+",
            "d",
            "+d",
            "-3d",
            "+3",
            "+3y",
            "+3 d",
            "3dd",
            "+-3d",
            "++3d",
            "15/12/2026",
            "2026-12",
            "26-12-15",
            "2026-12-15-1",
            "2026-012-15",
            "＋3d",
            "3ｄ",
            "2026-12-15T10:00",
        ] {
            let err = parse_due(bad, today()).expect_err(bad);
            assert!(err.contains(ACCEPTED), "{bad:?} gave {err:?}");
        }
    }

    #[test]
    fn bad_input_is_shown_safely_and_briefly() {
        let err = parse_due("\u{1b}[2Jx", today()).expect_err("escape sequence");
        assert!(err.starts_with("cannot read \"\\e[2Jx\""), "{err}");
        let long = "x".repeat(500);
        let err = parse_due(&long, today()).expect_err("long");
        assert!(err.len() < 150, "{err}");
        assert!(err.contains('…'), "{err}");
    }

    #[test]
    fn absurd_distances_are_errors_not_panics() {
        for far in [
            "+99999999999999999999d",
            "+4294967295d",
            "+4294967295w",
            "+4294967295m",
        ] {
            let err = parse_due(far, today()).expect_err(far);
            assert!(err.ends_with("is too far in the future"), "{far}: {err}");
        }
        assert!(parse_due("tomorrow", NaiveDate::MAX).is_err());
        assert!(parse_due("+1m", NaiveDate::MAX).is_err());
    }

    #[test]
    fn weekday_form() {
        assert_eq!(with_weekday(day(2026, 12, 15)), "Tue 2026-12-15");
        assert_eq!(with_weekday(day(2026, 12, 19)), "Sat 2026-12-19");
        assert_eq!(with_weekday(day(2028, 2, 29)), "Tue 2028-02-29");
    }

    #[test]
    fn weekday_form_parses_back_without_the_weekday() {
        let date = day(2027, 3, 7);
        let shown = with_weekday(date);
        let iso = shown
            .split_once(' ')
            .map(|(_, iso)| iso)
            .unwrap_or_default();
        assert_eq!(parse_due(iso, today()), Ok(date));
    }
}
