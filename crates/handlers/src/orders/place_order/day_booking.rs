//! Which day the order goes to, and storing it there: the shop's rules checked, the cakes taken
//! from the day in the write that stores the order, the next day with room found when the first
//! is full.

use super::PlaceOrder;
use crate::shared::api::ApiError;
use cakeshop_domain::{CapacitySettings, Day, Order, OrderId, OrderRequest, OrderingWindow, TraceId};
use cakeshop_ports::{Bakery, CreateOutcome, EventPublisher, Metric, OrderRepository};

/// Days tried after the first one turned out full, in order, from one read of the booked
/// counts. In a rush they may fill between that read and the attempt; after this many the
/// customer is told which days had room rather than kept waiting.
const MAX_OTHER_DAYS_TRIED: usize = 3;

/// What one attempt to store the order on its day came to.
enum Attempt {
    /// Stored now, or by an earlier attempt with the same key.
    Stored(Order),
    /// The day could not take it (`booked` cakes were taken); the order comes back unstored.
    DayFull { order: Order, booked: u32 },
}

impl<R: OrderRepository + Bakery, E: EventPublisher> PlaceOrder<R, E> {
    /// Checks the request against the shop's rules and stores it on its day, or returns the
    /// order a previous attempt with the same key stored.
    pub(super) async fn store(
        &self,
        order_id: OrderId,
        request: &OrderRequest,
        keyed: bool,
        trace: TraceId,
    ) -> Result<Order, ApiError> {
        let now = self.clock.now();
        let rules = self
            .orders
            .rules()
            .await
            .map_err(|error| ApiError::internal("reading the shop's rules failed", &error))?;
        let capacity = &rules.capacity.value;
        let window = OrderingWindow::at(now, &self.zone, capacity.cutoff);
        if !rules.shop.value.is_open_on(window.today) {
            return Err(ApiError::new(503, "shop_closed", rules.shop.value.closed_message()));
        }
        if let Some(why) = request.delivery_date.and_then(|day| window.refuse(day)) {
            return Err(ApiError::new(422, "invalid", why));
        }
        // The first day to try: the one asked for, else the earliest whose capacity is enough.
        // If none is, the earliest anyway: the store refuses it without writing, and a repeat
        // with the same key still finds its order there.
        let first = request.delivery_date.unwrap_or_else(|| {
            window
                .days()
                .find(|day| capacity.capacity_on(*day) >= request.quantity)
                .unwrap_or(window.earliest)
        });
        let new_order = request.priced(&rules.catalogue.value, first)?;
        let order = Order::place(order_id, new_order, now).in_trace(trace);
        let (order, booked) = match self.attempt(order, capacity, request, keyed).await? {
            Attempt::Stored(order) => return Ok(order),
            Attempt::DayFull { order, booked } => (order, booked),
        };

        // The first day is full: which days have room, from one read.
        let with_room = self.days_with_room(&window, capacity, request.quantity).await?;
        let mut later = with_room.into_iter().filter(|day| *day > first);
        if request.delivery_date.is_some() {
            let left = capacity.capacity_on(first).saturating_sub(booked);
            return Err(sold_out_on(first, left, request.quantity, later.next(), window.latest));
        }
        let mut order = order;
        for day in later.take(MAX_OTHER_DAYS_TRIED) {
            order.delivery_date = day;
            order = match self.attempt(order, capacity, request, keyed).await? {
                Attempt::Stored(order) => return Ok(order),
                Attempt::DayFull { order, .. } => order,
            };
        }
        Err(ApiError::new(
            409,
            "sold_out",
            format!(
                "no day from {} to {} has room for {}; try fewer cakes",
                window.earliest, window.latest, request.quantity
            ),
        ))
    }

    /// One conditional write of the order on its delivery day.
    async fn attempt(
        &self,
        order: Order,
        capacity: &CapacitySettings,
        request: &OrderRequest,
        keyed: bool,
    ) -> Result<Attempt, ApiError> {
        match self
            .orders
            .create(&order, capacity.capacity_on(order.delivery_date))
            .await
        {
            Ok(CreateOutcome::Created) => {
                self.metrics.record(Metric::OrderPlaced, &order.order_id);
                Ok(Attempt::Stored(order))
            }
            Ok(CreateOutcome::DayFull { booked }) => Ok(Attempt::DayFull { order, booked }),
            // This very order, placed at this very instant: our own write, committed by a send
            // whose answer was lost (a timeout or a 5xx after the store had committed it) and
            // found by the client's retry of it.
            Ok(CreateOutcome::AlreadyExists(existing))
                if existing.created_at == order.created_at
                    && existing.delivery_date == order.delivery_date
                    && existing.was_placed_as(request) =>
            {
                tracing::info!("the store had already committed this write; its retry found it");
                Ok(Attempt::Stored(*existing))
            }
            Ok(CreateOutcome::AlreadyExists(existing)) if keyed && existing.was_placed_as(request) => {
                tracing::info!("repeated request; returning the stored order");
                Ok(Attempt::Stored(*existing))
            }
            Ok(CreateOutcome::AlreadyExists(_)) if keyed => Err(ApiError::new(
                409,
                "idempotency_conflict",
                "this Idempotency-Key was already used for a different order; use a new key for a new order",
            )),
            // Random ids do not collide; if one ever did, nothing was overwritten.
            Ok(CreateOutcome::AlreadyExists(_)) => {
                Err(ApiError::new(500, "internal", "order id collision; please try again"))
            }
            Err(error) => Err(ApiError::internal("storing the order failed", &error)),
        }
    }

    /// The days of the window that have room for `quantity` more, earliest first.
    async fn days_with_room(
        &self,
        window: &OrderingWindow,
        capacity: &CapacitySettings,
        quantity: u32,
    ) -> Result<Vec<Day>, ApiError> {
        let days: Vec<Day> = window.days().collect();
        let count = u16::try_from(days.len()).unwrap_or(u16::MAX);
        let booked = self
            .orders
            .booked(window.earliest, count)
            .await
            .map_err(|error| ApiError::internal("reading the days' bookings failed", &error))?;
        Ok(days
            .into_iter()
            .zip(booked)
            .filter(|(day, booked)| capacity.capacity_on(*day).saturating_sub(*booked) >= quantity)
            .map(|(day, _)| day)
            .collect())
    }
}

/// The 409 for a day asked for that cannot take the order, naming the next day that can.
fn sold_out_on(day: Day, left: u32, quantity: u32, next: Option<Day>, latest: Day) -> ApiError {
    let full = if left == 0 {
        format!("{day} is sold out")
    } else {
        format!("{day} has room for {left} more, not {quantity}")
    };
    let message = match next {
        Some(next) => format!("{full}; the next day with room for {quantity} is {next}"),
        None => format!("{full}; no later day until {latest} has room for {quantity}"),
    };
    ApiError::new(409, "sold_out", message)
}
