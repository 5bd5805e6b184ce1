//! Days in the shop's own time zone: which delivery days can still be ordered, given the
//! cut-off (orders for a day close at a set time the day before) and the ordering horizon.

use crate::timestamp::Timestamp;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use time::{Date, Month, Weekday};

/// How far ahead a customer may order: a day at most this many days after today.
pub const ORDERING_HORIZON_DAYS: i64 = 60;

/// A calendar day, written `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(Date);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a date written YYYY-MM-DD")]
pub struct DayError(pub String);

impl Day {
    pub fn from_date(date: Date) -> Day {
        Day(date)
    }

    pub fn from_ymd(year: i32, month: u8, day: u8) -> Option<Day> {
        let month = Month::try_from(month).ok()?;
        Date::from_calendar_date(year, month, day).ok().map(Day)
    }

    pub fn parse(text: &str) -> Result<Day, DayError> {
        let bad = || DayError(text.to_owned());
        let bytes = text.as_bytes();
        if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
            return Err(bad());
        }
        let number = |range: std::ops::Range<usize>| -> Result<u32, DayError> {
            let part = text.get(range).ok_or_else(bad)?;
            if !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            part.parse().map_err(|_| bad())
        };
        let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
        let year = i32::try_from(year).map_err(|_| bad())?;
        let month = u8::try_from(month).map_err(|_| bad())?;
        let day = u8::try_from(day).map_err(|_| bad())?;
        Day::from_ymd(year, month, day).ok_or_else(bad)
    }

    pub fn weekday(self) -> Weekday {
        self.0.weekday()
    }

    /// The day `days` later (or earlier, if negative); saturates at the ends of the calendar.
    pub fn plus_days(self, days: i64) -> Day {
        Day(self.0.checked_add(time::Duration::days(days)).unwrap_or(self.0))
    }

    /// Days from `self` to `later` (negative if `later` is earlier).
    pub fn days_until(self, later: Day) -> i64 {
        (later.0 - self.0).whole_days()
    }

    /// The day as people write it: "Thursday 3 December 2026".
    pub fn written_out(self) -> String {
        format!("{} {}", self.written_out_short(), self.0.year())
    }

    /// The day without its year: "Thursday 3 December".
    pub fn written_out_short(self) -> String {
        format!("{} {} {}", self.0.weekday(), self.0.day(), self.0.month())
    }

    /// The days from `self` on, `count` of them.
    pub fn range(self, count: u16) -> impl Iterator<Item = Day> {
        (0..i64::from(count)).map(move |offset| self.plus_days(offset))
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}",
            self.0.year(),
            u8::from(self.0.month()),
            self.0.day()
        )
    }
}

impl Serialize for Day {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Day, D::Error> {
        let text = String::deserialize(deserializer)?;
        Day::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A time of day, minutes after midnight, written `HH:MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeOfDay(u16);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a time written HH:MM (00:00 to 23:59)")]
pub struct TimeOfDayError(pub String);

impl TimeOfDay {
    pub fn from_hm(hour: u8, minute: u8) -> Option<TimeOfDay> {
        (hour < 24 && minute < 60).then(|| TimeOfDay(u16::from(hour) * 60 + u16::from(minute)))
    }

    pub fn parse(text: &str) -> Result<TimeOfDay, TimeOfDayError> {
        let bad = || TimeOfDayError(text.to_owned());
        let (hour, minute) = text.split_once(':').ok_or_else(bad)?;
        if hour.len() != 2 || minute.len() != 2 || !(hour.bytes().chain(minute.bytes())).all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let hour: u8 = hour.parse().map_err(|_| bad())?;
        let minute: u8 = minute.parse().map_err(|_| bad())?;
        TimeOfDay::from_hm(hour, minute).ok_or_else(bad)
    }
}

impl fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

impl Serialize for TimeOfDay {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for TimeOfDay {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<TimeOfDay, D::Error> {
        let text = String::deserialize(deserializer)?;
        TimeOfDay::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// The shop's time zone (`SHOP_TIME_ZONE`, an IANA name such as `Europe/London`), from the
/// rules bundled into the binary.
#[derive(Debug, Clone)]
pub struct ShopZone {
    name: String,
    zone: jiff::tz::TimeZone,
}

#[derive(Debug, thiserror::Error)]
#[error("SHOP_TIME_ZONE {name:?} is not an IANA time zone such as Europe/London")]
pub struct ShopZoneError {
    pub name: String,
    #[source]
    source: jiff::Error,
}

impl ShopZone {
    pub fn parse(name: &str) -> Result<ShopZone, ShopZoneError> {
        jiff::tz::TimeZone::get(name)
            .map(|zone| ShopZone {
                name: name.to_owned(),
                zone,
            })
            .map_err(|source| ShopZoneError {
                name: name.to_owned(),
                source,
            })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The shop's calendar day and time of day at `now`.
    pub fn local(&self, now: Timestamp) -> (Day, TimeOfDay) {
        let instant = jiff::Timestamp::from_millisecond(now.unix_millis()).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        let local = instant.to_zoned(self.zone.clone());
        let date = local.date();
        let day = Day::from_ymd(i32::from(date.year()), date.month() as u8, date.day() as u8).unwrap_or(Day(Date::MIN));
        let time = TimeOfDay::from_hm(local.hour() as u8, local.minute() as u8).unwrap_or(TimeOfDay(0));
        (day, time)
    }
}

/// Which delivery days are open to new orders at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderingWindow {
    /// Today in the shop's zone.
    pub today: Day,
    /// The first day still taking orders: tomorrow before the cut-off, the day after from then.
    pub earliest: Day,
    /// The last day taking orders.
    pub latest: Day,
    pub cutoff: TimeOfDay,
}

impl OrderingWindow {
    pub fn at(now: Timestamp, zone: &ShopZone, cutoff: TimeOfDay) -> OrderingWindow {
        let (today, time) = zone.local(now);
        let earliest = if time < cutoff {
            today.plus_days(1)
        } else {
            today.plus_days(2)
        };
        OrderingWindow {
            today,
            earliest,
            latest: today.plus_days(ORDERING_HORIZON_DAYS),
            cutoff,
        }
    }

    /// Why `day` cannot be ordered now, if it cannot.
    pub fn refuse(&self, day: Day) -> Option<String> {
        if day <= self.today {
            Some(format!(
                "deliveryDate {day} is not in the future; the earliest day you can order for is {}",
                self.earliest
            ))
        } else if day < self.earliest {
            Some(format!(
                "orders for {day} closed at {} the day before; the earliest day you can order for is {}",
                self.cutoff, self.earliest
            ))
        } else if day > self.latest {
            Some(format!(
                "deliveryDate {day} is more than {ORDERING_HORIZON_DAYS} days ahead; the latest day you can order for is {}",
                self.latest
            ))
        } else {
            None
        }
    }

    /// The days open to orders, earliest first.
    pub fn days(&self) -> impl Iterator<Item = Day> {
        let count = self.earliest.days_until(self.latest) + 1;
        self.earliest.range(u16::try_from(count.max(0)).unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).expect("valid")
    }

    fn day(text: &str) -> Day {
        Day::parse(text).expect("valid")
    }

    #[test]
    fn a_day_is_written_out_as_people_write_it() {
        assert_eq!(day("2026-12-03").written_out(), "Thursday 3 December 2026");
        assert_eq!(day("2027-01-01").written_out_short(), "Friday 1 January");
    }

    #[test]
    fn days_parse_strictly_and_print_back() {
        assert_eq!(day("2026-12-24").to_string(), "2026-12-24");
        assert_eq!(day("2028-02-29").weekday(), Weekday::Tuesday);
        for bad in [
            "2026-02-30",
            "2026-13-01",
            "26-12-24",
            "2026-1-24",
            "2026/12/24",
            "+026-12-24",
            "",
            "2026-12-2x",
        ] {
            assert!(Day::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn times_parse_strictly() {
        assert_eq!(TimeOfDay::parse("18:00").expect("valid").to_string(), "18:00");
        for bad in ["24:00", "7:00", "18:60", "18-00", "", "ab:cd"] {
            assert!(TimeOfDay::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_cutoff_is_in_the_shops_own_zone() {
        let zone = ShopZone::parse("Asia/Tbilisi").expect("known zone"); // UTC+4
        let cutoff = TimeOfDay::parse("18:00").expect("valid");
        // 13:59 UTC is 17:59 in Tbilisi: tomorrow is still open.
        let before = OrderingWindow::at(at("2026-12-01T13:59:00Z"), &zone, cutoff);
        assert_eq!((before.today, before.earliest), (day("2026-12-01"), day("2026-12-02")));
        let after = OrderingWindow::at(at("2026-12-01T14:00:00Z"), &zone, cutoff);
        assert_eq!(after.earliest, day("2026-12-03"));
        // 21:00 UTC is already the 2nd there.
        let late = OrderingWindow::at(at("2026-12-01T21:00:00Z"), &zone, cutoff);
        assert_eq!(late.today, day("2026-12-02"));
        assert!(ShopZone::parse("Mars/Olympus").is_err());
    }

    #[test]
    fn refuses_past_closed_and_far_days() {
        let zone = ShopZone::parse("UTC").expect("known zone");
        let window = OrderingWindow::at(
            at("2026-12-01T19:00:00Z"),
            &zone,
            TimeOfDay::parse("18:00").expect("valid"),
        );
        assert!(window.refuse(day("2026-11-30")).is_some());
        assert!(window.refuse(day("2026-12-01")).is_some());
        assert!(
            window
                .refuse(day("2026-12-02"))
                .is_some_and(|why| why.contains("closed at 18:00"))
        );
        assert_eq!(window.refuse(day("2026-12-03")), None);
        assert_eq!(window.refuse(day("2027-01-30")), None);
        assert!(window.refuse(day("2027-01-31")).is_some());
        assert_eq!(window.days().count(), 59);
    }
}
