//! Kinesis `order_placed`, `order_fulfilled` and `order_cancelled` → an email to the customer
//! who gave an address: their confirmation with the tracking link, "your cake is on its way",
//! and the cancellation notice.
//!
//! Each is sent once per order, as the baker's are: the step it records (`customer_confirmed`,
//! `customer_told_on_its_way`, `customer_told_cancelled`) is checked first, and
//! `customer:<event id>` is the mail's idempotency key.
//!
//! The emails a customer's own action causes (the confirmation of the order they placed, the
//! notice of the cancel they made) count against the recipient address's `recipient` limit,
//! so that nobody can make the shop mail a stranger over and over: past it the email is not
//! sent and the step is recorded all the same, so it is never retried. The baker's doings
//! (on its way, declined) are not limited.
//!
//! An email the provider refuses for good is recorded (`customer_email_refused`) and the
//! record acknowledged; the order's later emails are not tried (`emails::refused`).
//!
//! Records say whether the customer gave an address (`customerHasEmail`), so the mapping's
//! filter spares this function the others; a record from before that field is read up.

use crate::declare::{Function, NoRoutes, Ports, signer};
use crate::emails::customer_email::{self, CustomerLetter};
use crate::emails::refused::settle_refusal;
use crate::pages::tracking::tracking_path;
use crate::shared::auth::Signer;
use crate::shared::limits::{Gate, Subject};
use crate::shared::record_error::RecordError;
use crate::shared::stream_batch::process_per_key;
use aws_lambda_events::event::kinesis::KinesisEvent;
use aws_lambda_events::event::streams::KinesisEventResponse;
use cakeshop_domain::{CancelledBy, EventKind, Limit, Order, OrderEvent, Status, Step};
use cakeshop_ports::config::{CLIENT_LIMITS, PUBLIC_BASE_URL, SENDER_EMAIL};
use cakeshop_ports::{Clock, Email, Limiter, Mailer, OrderRepository};
use std::convert::Infallible;
use std::sync::Arc;

/// Kinesis `order_placed`, `order_fulfilled`, `order_cancelled` → an email to the customer
/// who gave an address: the confirmation with the tracking link, "on its way", the cancellation.
pub struct NotifyCustomerFunction;

impl Function for NotifyCustomerFunction {
    const NAME: &'static str = "notify-customer";
    const SUMMARY: &'static str =
        "order_placed, order_fulfilled, order_cancelled → an email to the customer with their tracking link";
    const READS_SECRETS: bool = true;
    type Event = KinesisEvent;
    type Response = KinesisEventResponse;
    type Routes = NoRoutes;
    type Error = Infallible;
    type Handler<P: Ports> = NotifyCustomer<P::Orders, P::Mailer>;

    fn build<P: Ports>(ports: &P) -> Result<Self::Handler<P>, P::Error> {
        let (orders, mailer, signer) = (ports.orders()?, ports.mailer()?, signer(ports)?);
        let mail = CustomerMail {
            from: ports.text(SENDER_EMAIL)?,
            public_base_url: ports.text(PUBLIC_BASE_URL)?,
        };
        let gate = Gate::new(
            ports.orders()?,
            ports.limits(CLIENT_LIMITS)?,
            signer.clone(),
            ports.clock(),
        );
        Ok(NotifyCustomer::new(orders, mailer, signer, mail, ports.clock()).limited_by(gate))
    }

    async fn handle<P: Ports>(handler: &Self::Handler<P>, event: Self::Event) -> Result<Self::Response, Infallible> {
        Ok(handler.handle(event).await)
    }
}

/// Who the customer's emails are from, and the shop's public address their links start with.
#[derive(Debug, Clone)]
pub struct CustomerMail {
    pub from: String,
    pub public_base_url: String,
}

pub struct NotifyCustomer<R, M> {
    orders: R,
    mailer: M,
    signer: Signer,
    mail: CustomerMail,
    clock: Arc<dyn Clock>,
    /// `None`: no client limits (the handler tests that are not about them).
    gate: Option<Gate<R>>,
}

impl<R: OrderRepository + Limiter, M: Mailer> NotifyCustomer<R, M> {
    pub fn new(orders: R, mailer: M, signer: Signer, mail: CustomerMail, clock: Arc<dyn Clock>) -> Self {
        NotifyCustomer {
            orders,
            mailer,
            signer,
            mail,
            clock,
            gate: None,
        }
    }

    /// The same handler, keeping to the recipient limit of `gate`.
    pub fn limited_by(self, gate: Gate<R>) -> Self {
        NotifyCustomer {
            gate: Some(gate),
            ..self
        }
    }

    /// Whether an email `event` causes may go to `to`: always for the baker's doings; for a
    /// customer's own, while the address is within its limit (the use is counted).
    async fn may_email(&self, event: &OrderEvent, to: &str) -> Result<Emailing, RecordError> {
        let customers_doing = match event {
            OrderEvent::OrderPlaced { .. } => true,
            OrderEvent::OrderCancelled { cancellation, .. } => cancellation.by == CancelledBy::Customer,
            OrderEvent::OrderFulfilled { .. } => false,
        };
        let Some(gate) = self.gate.as_ref().filter(|_| customers_doing) else {
            return Ok(Emailing::Unlimited);
        };
        let verdict = gate.counted(Limit::Recipient, Subject::Recipient(to)).await?;
        Ok(if verdict.is_allowed() {
            Emailing::Counted
        } else {
            Emailing::OverLimit
        })
    }

    pub async fn handle(&self, event: KinesisEvent) -> KinesisEventResponse {
        process_per_key(event, &EventKind::ALL, |event| async move { self.notify(&event).await }).await
    }

    async fn notify(&self, event: &OrderEvent) -> Result<(), RecordError> {
        if event.customer_has_email() == Some(false) {
            // The record says so (the mapping's filter normally keeps it away): no read for a
            // customer who gave no address.
            return Ok(());
        }
        let order_id = event.order_id();
        let order = self
            .orders
            .get(order_id)
            .await?
            .ok_or_else(|| RecordError::UnknownOrder(order_id.clone()))?;
        let Some(to) = order.customer.email.clone() else {
            tracing::info!("the customer gave no email address; nothing to send");
            return Ok(());
        };
        let step = match event {
            OrderEvent::OrderPlaced { .. } => Step::CustomerConfirmed,
            OrderEvent::OrderFulfilled { .. } => Step::CustomerToldOnItsWay,
            OrderEvent::OrderCancelled { .. } => Step::CustomerToldCancelled,
        };
        if order.has_step(step) {
            tracing::info!(%step, "customer already told; repeat skipped");
            return Ok(());
        }
        if order.has_step(Step::CustomerEmailRefused) {
            tracing::info!(%step, "an email to this customer was refused for good; none is sent");
            return Ok(());
        }
        let link = format!(
            "{}{}",
            self.mail.public_base_url.trim_end_matches('/'),
            tracking_path(order_id.as_str(), &self.signer.customer_token(order_id))
        );
        // Keyed apart from the baker's email about the same event, which a provider that
        // drops repeats would otherwise take this one for.
        let idempotency_key = format!("customer:{}", event.event_id());
        let letter = CustomerLetter {
            from: &self.mail.from,
            to: &to,
            tracking_link: &link,
            idempotency_key: &idempotency_key,
        };
        let Some(email) = compose(event, &order, &letter) else {
            return Ok(());
        };
        let emailing = self.may_email(event, &to).await?;
        if emailing == Emailing::OverLimit {
            tracing::warn!(%step, "not emailed: the address has had its share of emails for the day");
            self.orders.record_step(order_id, step, self.clock.now()).await?;
            return Ok(());
        }
        let message_id = match self.mailer.send(&email).await {
            Ok(message_id) => message_id,
            Err(error) => {
                if let (Emailing::Counted, Some(gate)) = (emailing, &self.gate) {
                    // Not sent: the retry counts it again.
                    gate.give_back(Limit::Recipient, Subject::Recipient(&to)).await;
                }
                return settle_refusal(&self.orders, &*self.clock, order_id, Step::CustomerEmailRefused, error).await;
            }
        };
        self.orders.record_step(order_id, step, self.clock.now()).await?;
        tracing::info!(message_id, %step, "customer emailed");
        Ok(())
    }
}

/// Whether an email may go, as far as the recipient's limit says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Emailing {
    /// Not a customer's own doing: no limit.
    Unlimited,
    /// Within the limit; this email is counted.
    Counted,
    OverLimit,
}

/// The email `event` calls for, or none when the order has moved past it.
fn compose(event: &OrderEvent, order: &Order, letter: &CustomerLetter) -> Option<Email> {
    match event {
        // Published late, after a cancel: the cancellation notice says what matters.
        OrderEvent::OrderPlaced { .. } if order.status == Status::Cancelled => {
            tracing::info!("order already cancelled; no confirmation");
            None
        }
        OrderEvent::OrderPlaced { .. } => Some(customer_email::confirmation(order, letter)),
        OrderEvent::OrderFulfilled { .. } => Some(customer_email::on_its_way(order, letter)),
        OrderEvent::OrderCancelled { cancellation, .. } => Some(customer_email::cancelled(order, cancellation, letter)),
    }
}
