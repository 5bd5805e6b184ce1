//! How many cakes the shop can make a day: a default per weekday, an override per date (0 for
//! a day off), and the cut-off after which orders for the next day close. A day's count of
//! booked cakes is kept by the store, taken in the same write as the order.

use crate::calendar::{Day, TimeOfDay};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use time::Weekday;

/// The most cakes a day can be set to take: far above any oven, below any counter's limit.
pub const MAX_DAILY_CAPACITY: u32 = 1_000_000;
/// The most per-date overrides kept; past dates are dropped when settings are saved.
pub const MAX_DATE_OVERRIDES: usize = 400;

/// Weekdays in the order `perWeekday` lists them, with their names there.
pub const WEEKDAYS: [(Weekday, &str); 7] = [
    (Weekday::Monday, "monday"),
    (Weekday::Tuesday, "tuesday"),
    (Weekday::Wednesday, "wednesday"),
    (Weekday::Thursday, "thursday"),
    (Weekday::Friday, "friday"),
    (Weekday::Saturday, "saturday"),
    (Weekday::Sunday, "sunday"),
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CapacitySettings {
    /// Cakes a day by weekday name (`monday` … `sunday`).
    pub per_weekday: BTreeMap<String, u32>,
    /// Overrides for particular days.
    pub per_date: BTreeMap<Day, u32>,
    /// Orders for a day close at this time on the day before, in the shop's zone.
    pub cutoff: TimeOfDay,
}

impl Default for CapacitySettings {
    /// A new shop: 20 cakes every day, orders closing at 18:00 the day before.
    fn default() -> CapacitySettings {
        CapacitySettings {
            per_weekday: WEEKDAYS.iter().map(|(_, name)| ((*name).to_owned(), 20)).collect(),
            per_date: BTreeMap::new(),
            cutoff: TimeOfDay::from_hm(18, 0).unwrap_or_else(|| unreachable!("18:00 is a time")),
        }
    }
}

impl CapacitySettings {
    /// How many cakes `day` can take.
    pub fn capacity_on(&self, day: Day) -> u32 {
        if let Some(capacity) = self.per_date.get(&day) {
            return *capacity;
        }
        let name = WEEKDAYS
            .iter()
            .find(|(weekday, _)| *weekday == day.weekday())
            .map_or("", |(_, name)| *name);
        self.per_weekday.get(name).copied().unwrap_or(0)
    }
}

/// A change to the settings: the fields given replace theirs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CapacityChange {
    pub per_weekday: Option<BTreeMap<String, u32>>,
    pub per_date: Option<BTreeMap<Day, u32>>,
    pub cutoff: Option<TimeOfDay>,
}

impl CapacityChange {
    /// The settings with this change applied. A `perWeekday` given in part keeps the other
    /// weekdays as they were; `perDate` replaces every override; overrides for days before
    /// `today` are dropped.
    pub fn applied_to(&self, settings: &CapacitySettings, today: Day) -> CapacitySettings {
        let mut next = settings.clone();
        if let Some(per_weekday) = &self.per_weekday {
            next.per_weekday
                .extend(per_weekday.iter().map(|(k, v)| (k.clone(), *v)));
        }
        if let Some(per_date) = &self.per_date {
            next.per_date = per_date.clone();
        }
        if let Some(cutoff) = self.cutoff {
            next.cutoff = cutoff;
        }
        next.per_date.retain(|day, _| *day >= today);
        next
    }
}

/// One day's capacity and how much of it is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DayAvailability {
    pub date: Day,
    pub capacity: u32,
    pub booked: u32,
    /// `capacity - booked`, or 0 when more is booked than the day now takes (capacity lowered
    /// after orders were placed: they are kept).
    pub left: u32,
}

impl DayAvailability {
    pub fn new(date: Day, capacity: u32, booked: u32) -> DayAvailability {
        DayAvailability {
            date,
            capacity,
            booked,
            left: capacity.saturating_sub(booked),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> Day {
        Day::parse(text).expect("valid")
    }

    #[test]
    fn a_date_override_beats_the_weekday() {
        let mut settings = CapacitySettings::default();
        settings.per_weekday.insert("thursday".into(), 12);
        settings.per_date.insert(day("2026-12-24"), 60);
        settings.per_date.insert(day("2026-12-25"), 0);
        assert_eq!(settings.capacity_on(day("2026-12-24")), 60);
        assert_eq!(settings.capacity_on(day("2026-12-25")), 0);
        assert_eq!(settings.capacity_on(day("2026-12-31")), 12);
        assert_eq!(settings.capacity_on(day("2026-12-30")), 20);
    }

    #[test]
    fn a_change_replaces_only_what_it_gives_and_drops_past_overrides() {
        let mut settings = CapacitySettings::default();
        settings.per_date.insert(day("2026-11-01"), 5);
        let keep = CapacityChange {
            per_weekday: Some([("sunday".to_owned(), 0)].into()),
            ..CapacityChange::default()
        };
        let next = keep.applied_to(&settings, day("2026-12-01"));
        assert_eq!(next.capacity_on(day("2026-12-06")), 0);
        assert_eq!(next.capacity_on(day("2026-12-07")), 20);
        assert!(next.per_date.is_empty());
        assert_eq!(next.cutoff, settings.cutoff);
    }

    #[test]
    fn left_never_goes_below_zero() {
        assert_eq!(DayAvailability::new(day("2026-12-24"), 3, 5).left, 0);
        assert_eq!(DayAvailability::new(day("2026-12-24"), 5, 3).left, 2);
    }
}
