//! Building the nine functions on a given set of adapters: the same handlers whichever backend
//! the shop runs on.

use crate::functions::Functions;
use crate::runtime::{DevError, DevOptions};
use crate::secrets::LocalSecrets;
use crate::wiring::{Wiring, WiringError};
use cakeshop_aws::HttpPartner;
use cakeshop_handlers::{
    BakerKey, BakerMail, ConfirmDelivery, ForwardFeedback, FulfillOrder, NotifyBaker, NotifyDelivery, OrderQueries,
    PlaceOrder, RelayEvents, RequestDelivery, Signer,
};
use cakeshop_ports::{EventPublisher, Mailer, OrderRepository, QueueSender, SystemClock, TimeOrderedIds};
use std::sync::Arc;

/// Where the shop is reached and where it reaches out.
#[derive(Debug, Clone)]
pub struct Endpoints {
    pub base_url: String,
    pub delivery_api_url: String,
    pub customer_service_api_url: String,
}

impl Endpoints {
    /// The configured URLs, or the local address and the partner stand-ins it serves.
    pub fn new(options: &DevOptions, local_base: &str) -> Endpoints {
        let base_url = options.public_base_url.clone().unwrap_or_else(|| local_base.to_owned());
        let stand_in = |partner: &str| format!("{local_base}/_local/partners/{partner}");
        Endpoints {
            delivery_api_url: options.delivery_api_url.clone().unwrap_or_else(|| stand_in("delivery")),
            customer_service_api_url: options
                .customer_service_api_url
                .clone()
                .unwrap_or_else(|| stand_in("customer-service")),
            base_url,
        }
    }
}

/// The adapters one backend provides.
pub struct Adapters<O, E, Q, M> {
    pub orders: O,
    pub events: E,
    pub delivery_queue: Q,
    pub feedback_queue: Q,
    pub mailer: M,
}

pub fn assemble<O, E, Q, M>(
    options: &DevOptions,
    wiring: &Wiring,
    secrets: &LocalSecrets,
    endpoints: &Endpoints,
    adapters: Adapters<O, E, Q, M>,
) -> Result<Functions<O, E, Q, M, HttpPartner>, DevError>
where
    O: OrderRepository + Clone,
    E: EventPublisher + Clone,
    Q: QueueSender,
    M: Mailer,
{
    let Adapters {
        orders,
        events,
        delivery_queue,
        feedback_queue,
        mailer,
    } = adapters;
    let partner = |url: &str| {
        HttpPartner::new(url, options.partner_timeout).map_err(|source| DevError::PartnerUrl {
            url: url.to_owned(),
            source,
        })
    };
    let signer = Signer::new(secrets.signing_secret.clone());
    let baker_key = BakerKey::new(&secrets.baker_api_key);
    let relay_after_seconds = relay_after_seconds(wiring)?;
    let clock = Arc::new(SystemClock);
    let base_url = endpoints.base_url.clone();
    let mail = BakerMail {
        from: options.sender_email.clone(),
        to: options.baker_email.clone(),
        public_base_url: base_url.clone(),
    };
    Ok(Functions {
        place_order: PlaceOrder::new(
            orders.clone(),
            events.clone(),
            signer.clone(),
            clock.clone(),
            Arc::new(TimeOrderedIds),
        ),
        notify_baker: NotifyBaker::new(orders.clone(), mailer, signer.clone(), mail, clock.clone()),
        fulfill_order: FulfillOrder::new(
            orders.clone(),
            events.clone(),
            signer.clone(),
            baker_key.clone(),
            base_url,
            clock.clone(),
        ),
        request_delivery: RequestDelivery::new(orders.clone(), delivery_queue, clock.clone()),
        notify_delivery: NotifyDelivery::new(orders.clone(), partner(&endpoints.delivery_api_url)?, clock.clone()),
        confirm_delivery: ConfirmDelivery::new(orders.clone(), feedback_queue, signer.clone(), clock.clone()),
        forward_feedback: ForwardFeedback::new(
            orders.clone(),
            partner(&endpoints.customer_service_api_url)?,
            clock.clone(),
        ),
        order_queries: OrderQueries::new(orders.clone(), signer, baker_key),
        relay_events: RelayEvents::new(orders, events, clock, relay_after_seconds),
    })
}

/// How old an outbox mark must be before the relay takes it as orphaned: the relay-events
/// function's `RELAY_AFTER_SECONDS`, as on AWS; 10 s if serverless.yml has no relay.
fn relay_after_seconds(wiring: &Wiring) -> Result<i64, DevError> {
    let Some(relay) = wiring.function("relay-events") else {
        return Ok(10);
    };
    let value = relay.environment.get("RELAY_AFTER_SECONDS");
    let seconds = match value {
        Some(serde_json::Value::String(text)) => text.trim().parse::<i64>().ok(),
        Some(serde_json::Value::Number(number)) => number.as_i64(),
        _ => None,
    };
    seconds.filter(|s| *s >= 1).ok_or_else(|| {
        WiringError::Unusable {
            location: "function relay-events: environment.RELAY_AFTER_SECONDS".into(),
            problem: format!("must be a whole number of seconds, at least 1 (found {value:?})"),
        }
        .into()
    })
}
