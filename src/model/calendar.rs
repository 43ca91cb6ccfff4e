//! Simulation time and the calendar derived from it.
//!
//! Time inside a run is a [`Minute`]: an integer count of minutes since
//! midnight at the start of the scenario's first day. Dates, weekdays,
//! working days (Monday to Friday, less the scenario's bank holidays) and UK
//! financial years (1 April – 31 March) are derived from it here and nowhere
//! else.

use std::fmt;

use time::{Date, Month, Weekday};

/// Minutes since midnight at the start of the scenario's first day.
pub type Minute = crate::engine::Minute;

/// Minutes in a day.
pub const DAY: Minute = 24 * 60;
/// Minutes in a week.
pub const WEEK: Minute = 7 * DAY;

/// A calendar date (proleptic Gregorian), as scenarios write it: `2024-04-01`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CivilDate(Date);

impl CivilDate {
    /// The date, or `None` when the day does not exist (e.g. 2023-02-29).
    pub fn new(year: i32, month: u8, day: u8) -> Option<Self> {
        let month = Month::try_from(month).ok()?;
        Date::from_calendar_date(year, month, day)
            .ok()
            .map(CivilDate)
    }

    /// Parses `YYYY-MM-DD`.
    pub fn parse(s: &str) -> Option<Self> {
        let mut parts = s.splitn(3, '-');
        let y = parts.next()?.parse().ok()?;
        let m = parts.next()?.parse().ok()?;
        let d = parts.next()?.parse().ok()?;
        Self::new(y, m, d)
    }

    /// Calendar year.
    pub fn year(self) -> i32 {
        self.0.year()
    }

    /// Month, 1 to 12.
    pub fn month(self) -> u8 {
        self.0.month() as u8
    }

    /// Day of the month, 1 to 31.
    pub fn day(self) -> u8 {
        self.0.day()
    }

    /// Days from `self` to `later` (negative when `later` is earlier).
    pub fn days_until(self, later: CivilDate) -> i64 {
        i64::from(later.0.to_julian_day()) - i64::from(self.0.to_julian_day())
    }

    /// The date `days` days later.
    pub fn plus_days(self, days: i64) -> Option<Self> {
        self.0
            .checked_add(time::Duration::days(days))
            .map(CivilDate)
    }

    /// True on Saturday and Sunday.
    pub fn is_weekend(self) -> bool {
        matches!(self.0.weekday(), Weekday::Saturday | Weekday::Sunday)
    }

    /// The UK financial year containing this date, named by its first year
    /// (2024 for 1 April 2024 – 31 March 2025).
    pub fn financial_year(self) -> FinancialYear {
        if self.month() >= 4 {
            FinancialYear(self.year())
        } else {
            FinancialYear(self.year() - 1)
        }
    }
}

impl fmt::Display for CivilDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}",
            self.year(),
            self.month(),
            self.day()
        )
    }
}

/// A UK financial year, 1 April to 31 March, named by the year it starts in.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FinancialYear(pub i32);

impl FinancialYear {
    /// Its first day, 1 April.
    pub fn first_day(self) -> CivilDate {
        CivilDate::new(self.0, 4, 1).expect("1 April exists in every year")
    }
}

impl fmt::Display for FinancialYear {
    /// Written as publications write it: `2024-25`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{:02}", self.0, (self.0 + 1).rem_euclid(100))
    }
}

/// The calendar of one run: its start date, its horizon and its working days.
///
/// Working time is counted in whole working days of 1,440 minutes: a lag of
/// "one working day" from Friday 15:00 ends on Monday 15:00. Counting is O(1)
/// and adding working time O(log days), through a prefix count of working days
/// over the horizon (and a margin past it).
#[derive(Clone, Debug)]
pub struct Calendar {
    start: CivilDate,
    horizon: Minute,
    /// `working_before[d]`: working days among days `0..d`.
    working_before: Vec<u32>,
}

impl Calendar {
    /// A one-day calendar, to be replaced: what a value read back without
    /// its calendar holds until it is given the real one.
    pub fn placeholder() -> Self {
        Calendar::new(CivilDate::new(2000, 1, 1).expect("a real date"), 1, &[])
    }

    /// Days past the horizon the working-day table covers; work scheduled
    /// beyond that never happens inside the run, so it is clamped there.
    const MARGIN_DAYS: u64 = 3 * 366;

    /// A calendar starting at midnight on `start`, running `horizon_days`
    /// days, with the listed bank holidays (any order; duplicates ignored).
    pub fn new(start: CivilDate, horizon_days: u64, bank_holidays: &[CivilDate]) -> Self {
        Self::with_week(start, horizon_days, bank_holidays, false)
    }

    /// The same, with every day a working day when `seven_day_week` (for
    /// validation scenarios that need time to run without weekends).
    pub fn with_week(
        start: CivilDate,
        horizon_days: u64,
        bank_holidays: &[CivilDate],
        seven_day_week: bool,
    ) -> Self {
        let days = horizon_days + Self::MARGIN_DAYS;
        let mut holidays: Vec<i64> = bank_holidays.iter().map(|h| start.days_until(*h)).collect();
        holidays.sort_unstable();
        let mut working_before = Vec::with_capacity(days as usize + 1);
        let mut count = 0u32;
        working_before.push(0);
        for d in 0..days as i64 {
            let date = start
                .plus_days(d)
                .expect("scenario dates are validated to stay in range");
            let weekend = date.is_weekend() && !seven_day_week;
            if !weekend && holidays.binary_search(&d).is_err() {
                count += 1;
            }
            working_before.push(count);
        }
        Calendar {
            start,
            horizon: horizon_days * DAY,
            working_before,
        }
    }

    /// The first day of the run.
    pub fn start(&self) -> CivilDate {
        self.start
    }

    /// The end of the run: nothing due at or after this minute happens.
    pub fn horizon(&self) -> Minute {
        self.horizon
    }

    /// The date on which minute `t` falls.
    pub fn date(&self, t: Minute) -> CivilDate {
        self.start
            .plus_days((t / DAY) as i64)
            .expect("times inside a run map to valid dates")
    }

    /// The minute at which `date` starts (saturating at 0 before the start).
    pub fn minute_of(&self, date: CivilDate) -> Minute {
        self.start.days_until(date).max(0) as u64 * DAY
    }

    /// The minute at which the calendar month after the one containing `t` starts.
    pub fn next_month_start(&self, t: Minute) -> Minute {
        let d = self.date(t);
        let (y, m) = if d.month() == 12 {
            (d.year() + 1, 1)
        } else {
            (d.year(), d.month() + 1)
        };
        self.minute_of(CivilDate::new(y, m, 1).expect("the first of a month exists"))
    }
    /// The minute each financial year after the run's first starts (each
    /// 1 April inside the run).
    pub fn financial_year_starts(&self) -> Vec<Minute> {
        let mut starts = Vec::new();
        let mut at = 0;
        loop {
            let mut next = self.next_month_start(at);
            while next < self.horizon() && self.date(next).month() != 4 {
                next = self.next_month_start(next);
            }
            if next >= self.horizon() {
                return starts;
            }
            starts.push(next);
            at = next;
        }
    }

    /// The financial year in which minute `t` falls.
    pub fn financial_year(&self, t: Minute) -> FinancialYear {
        self.date(t).financial_year()
    }

    /// True when day `day` (counted from the start) is a working day.
    pub fn is_working_day(&self, day: u64) -> bool {
        let d = day.min(self.last_day()) as usize;
        self.working_before[d + 1] > self.working_before[d]
    }

    fn last_day(&self) -> u64 {
        self.working_before.len() as u64 - 2
    }

    /// Working minutes elapsed from the start to `t`.
    fn working_clock(&self, t: Minute) -> u64 {
        let day = (t / DAY).min(self.last_day() + 1);
        let whole = u64::from(self.working_before[day as usize]) * DAY;
        if day <= self.last_day() && self.is_working_day(day) {
            whole + t % DAY
        } else {
            whole
        }
    }

    /// Working minutes between `from` and `to` (0 when `to` is not later).
    pub fn working_minutes_between(&self, from: Minute, to: Minute) -> u64 {
        self.working_clock(to)
            .saturating_sub(self.working_clock(from))
    }

    /// The minute at which `working` working minutes have passed since `from`.
    /// Work never finishes on a non-working day: it waits for the next one,
    /// and work that fills its last working day to the end finishes in that
    /// day's last minute, not at midnight on the (perhaps non-working) day
    /// after (a conference is never dated on a Saturday: CIN rule 8875).
    /// Work that would end past the working-day table (or past the end of
    /// time itself) ends just after it: never inside the run.
    pub fn add_working_minutes(&self, from: Minute, working: u64) -> Minute {
        if working == 0 {
            return from;
        }
        let Some(target) = self.working_clock(from).checked_add(working) else {
            return (self.last_day() + 1) * DAY;
        };
        // The day on which the target is reached: the first day d whose end
        // brings the count of whole working days to at least target.
        let needed_days = target.div_ceil(DAY);
        let table = &self.working_before;
        let idx = table.partition_point(|&c| u64::from(c) < needed_days);
        if idx >= table.len() {
            return (self.last_day() + 1) * DAY;
        }
        let day = idx as u64 - 1; // working_before[day + 1] >= needed_days
        let into_day = target - u64::from(table[day as usize]) * DAY;
        day * DAY + into_day.min(DAY - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> CivilDate {
        CivilDate::parse(s).unwrap()
    }

    #[test]
    fn financial_years_start_in_april() {
        assert_eq!(d("2024-03-31").financial_year(), FinancialYear(2023));
        assert_eq!(d("2024-04-01").financial_year(), FinancialYear(2024));
        assert_eq!(FinancialYear(2024).to_string(), "2024-25");
        assert_eq!(FinancialYear(1999).to_string(), "1999-00");
    }

    #[test]
    fn invalid_dates_are_refused() {
        assert!(CivilDate::parse("2023-02-29").is_none());
        assert!(CivilDate::parse("2024-02-29").is_some());
        assert!(CivilDate::parse("2024-13-01").is_none());
    }

    #[test]
    fn working_days_skip_weekends_and_bank_holidays() {
        // Monday 1 April 2024; Monday 6 May 2024 is a bank holiday.
        let cal = Calendar::new(d("2024-04-01"), 365, &[d("2024-05-06")]);
        assert!(cal.is_working_day(0));
        assert!(!cal.is_working_day(5)); // Saturday
        assert!(!cal.is_working_day(35)); // 6 May
                                          // Friday 15:00 plus one working day is Monday 15:00.
        let friday_3pm = 4 * DAY + 15 * 60;
        let monday_3pm = 7 * DAY + 15 * 60;
        assert_eq!(cal.add_working_minutes(friday_3pm, DAY), monday_3pm);
        assert_eq!(cal.working_minutes_between(friday_3pm, monday_3pm), DAY);
        // Friday 3 May 2024 at noon plus one working day skips the weekend
        // and the bank holiday on Monday 6 May.
        let fri = 32 * DAY + 12 * 60;
        assert_eq!(cal.date(cal.add_working_minutes(fri, DAY)), d("2024-05-07"));
        // Work arriving on a Saturday starts counting on Monday.
        let saturday_noon = 5 * DAY + 12 * 60;
        assert_eq!(cal.add_working_minutes(saturday_noon, 60), 7 * DAY + 60);
        // Work filling Friday to midnight finishes on Friday, not Saturday.
        let friday_9am = 4 * DAY + 9 * 60;
        let to = cal.add_working_minutes(friday_9am, 15 * 60);
        assert_eq!((to / DAY, to % DAY), (4, DAY - 1));
        // From Monday 00:00, five whole working days end on Friday.
        assert_eq!(
            cal.date(cal.add_working_minutes(0, 5 * DAY)),
            d("2024-04-05")
        );
    }

    #[test]
    fn adding_then_measuring_working_time_round_trips() {
        let cal = Calendar::new(d("2023-12-20"), 400, &[d("2023-12-25"), d("2023-12-26")]);
        for from in (0..60 * DAY).step_by(397) {
            for w in [1, 59, DAY - 1, DAY, 3 * DAY + 7, 45 * DAY] {
                let to = cal.add_working_minutes(from, w);
                assert!(to >= from);
                assert!(cal.is_working_day(to / DAY), "from {from} + {w}");
                // Work filling a day to its end finishes in its last minute.
                let lost = u64::from(to % DAY == DAY - 1 && w > 1);
                let measured = cal.working_minutes_between(from, to);
                assert!(measured == w || measured + lost == w, "from {from} + {w}");
            }
        }
    }
}
