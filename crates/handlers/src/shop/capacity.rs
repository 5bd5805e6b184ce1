//! How many cakes each day can take: what is left of each day, and the baker's settings.

use super::ManageShop;
use super::save::Setting;
use crate::shared::api::{ApiError, json_response};
use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use cakeshop_domain::{CapacityChange, CapacitySettings, Day, DayAvailability, ORDERING_HORIZON_DAYS, OrderingWindow};
use cakeshop_ports::{Bakery, Limiter};
use serde::Serialize;

/// `GET /availability` without `days`.
pub const DEFAULT_AVAILABILITY_DAYS: u16 = 14;
/// The most days `GET /availability` answers for.
pub const MAX_AVAILABILITY_DAYS: u16 = 60;

#[derive(Serialize)]
struct Availability {
    days: Vec<DayAvailability>,
}

/// A day whose capacity is now below what was already booked for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
struct Overbooked {
    date: Day,
    capacity: u32,
    booked: u32,
}

/// `PUT /capacity`'s answer: the settings now, and the days booked beyond them (their orders
/// are kept).
#[derive(Serialize)]
pub(super) struct CapacityAnswer {
    #[serde(flatten)]
    settings: CapacitySettings,
    overbooked: Vec<Overbooked>,
}

impl<B: Bakery + Limiter> ManageShop<B> {
    /// `GET /availability?from=YYYY-MM-DD&days=N`: each day's capacity, booked and left.
    pub(super) async fn availability(
        &self,
        request: &ApiGatewayV2httpRequest,
    ) -> Result<ApiGatewayV2httpResponse, ApiError> {
        let query = &request.query_string_parameters;
        let from = query
            .first("from")
            .map(|text| Day::parse(text).map_err(|error| ApiError::new(422, "invalid", format!("from: {error}"))))
            .transpose()?;
        let days = match query.first("days") {
            None => DEFAULT_AVAILABILITY_DAYS,
            Some(text) => text
                .parse::<u16>()
                .ok()
                .filter(|days| (1..=MAX_AVAILABILITY_DAYS).contains(days))
                .ok_or_else(|| {
                    ApiError::new(
                        422,
                        "invalid",
                        format!("days must be a whole number from 1 to {MAX_AVAILABILITY_DAYS}"),
                    )
                })?,
        };
        let rules = self.rules().await?;
        let capacity = &rules.capacity.value;
        let from = from.unwrap_or_else(|| OrderingWindow::at(self.clock.now(), &self.zone, capacity.cutoff).earliest);
        let booked = self.booked(from, days).await?;
        let days = from
            .range(days)
            .zip(booked)
            .map(|(day, booked)| DayAvailability::new(day, capacity.capacity_on(day), booked))
            .collect();
        Ok(json_response(200, &Availability { days }))
    }

    async fn booked(&self, from: Day, days: u16) -> Result<Vec<u32>, ApiError> {
        self.bakery
            .booked(from, days)
            .await
            .map_err(|error| ApiError::internal("reading the days' bookings failed", &error))
    }

    /// `PUT /capacity`, and the board's cakes-a-weekday form.
    pub(super) async fn change_capacity(&self, change: CapacityChange) -> Result<CapacityAnswer, ApiError> {
        let settings = self
            .update("the capacity settings", |rules, today| {
                let settings = change.applied_to(&rules.capacity.value, today);
                Ok((Setting::Capacity(settings.clone()), settings))
            })
            .await?;
        // Every day an order can be for, today's deliveries included.
        let today = self.today();
        let days = u16::try_from(ORDERING_HORIZON_DAYS + 1).unwrap_or(MAX_AVAILABILITY_DAYS);
        let booked = self.booked(today, days).await?;
        let overbooked: Vec<Overbooked> = today
            .range(days)
            .zip(booked)
            .map(|(date, booked)| Overbooked {
                date,
                capacity: settings.capacity_on(date),
                booked,
            })
            .filter(|day| day.booked > day.capacity)
            .collect();
        if !overbooked.is_empty() {
            tracing::info!(
                days = overbooked.len(),
                "capacity now below what is booked; orders kept"
            );
        }
        Ok(CapacityAnswer { settings, overbooked })
    }
}
