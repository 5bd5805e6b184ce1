//! Kinesis `order_placed` → an email to the baker with a signed "cake is ready" link;
//! `order_cancelled` by the customer → an email telling the baker there is nothing to bake.
//! A cancellation by the baker (declining) needs no email: the baker made it.
//!
//! Each email is sent once per order: the step it records (`baker_notified`,
//! `cancellation_notified`) is checked first, and the event id is the mail's idempotency key,
//! distinct for the two events, so a provider that recognises repeats drops a retried one.
//! An email the provider refuses for good is recorded (`baker_email_refused`) and not retried:
//! the order is on the baker's board all the same (`emails::refused`).

use crate::declare::{Function, NoRoutes, Ports, signer};
use crate::emails::baker_email;
use crate::emails::refused::settle_refusal;
use crate::shared::auth::{BAKER_LINK_LIFETIME_SECONDS, Signer};
use crate::shared::record_error::RecordError;
use crate::shared::stream_batch::process_per_key;
use aws_lambda_events::event::kinesis::KinesisEvent;
use aws_lambda_events::event::streams::KinesisEventResponse;
use cakeshop_domain::{Cancellation, CancelledBy, EventKind, OrderEvent, Status, Step};
use cakeshop_ports::config::BAKER_EMAIL;
use cakeshop_ports::config::PUBLIC_BASE_URL;
use cakeshop_ports::config::SENDER_EMAIL;
use cakeshop_ports::config::STAGE;
use cakeshop_ports::{Clock, Mailer, Metric, Metrics, OrderRepository};
use std::convert::Infallible;
use std::sync::Arc;

/// Kinesis `order_placed` → an email to the baker with a signed "cake is ready" link;
/// `order_cancelled` by the customer → an email saying there is nothing to bake.
pub struct NotifyBakerFunction;

impl Function for NotifyBakerFunction {
    const NAME: &'static str = "notify-baker";
    const SUMMARY: &'static str =
        "order_placed → an email to the baker with a signed link; order_cancelled by the customer → an email";
    const READS_SECRETS: bool = true;
    type Event = KinesisEvent;
    type Response = KinesisEventResponse;
    type Routes = NoRoutes;
    type Error = Infallible;
    type Handler<P: Ports> = NotifyBaker<P::Orders, P::Mailer>;

    fn build<P: Ports>(ports: &P) -> Result<Self::Handler<P>, P::Error> {
        let (orders, mailer, signer) = (ports.orders()?, ports.mailer()?, signer(ports)?);
        let mail = BakerMail {
            from: ports.text(SENDER_EMAIL)?,
            to: ports.text(BAKER_EMAIL)?,
            public_base_url: ports.text(PUBLIC_BASE_URL)?,
        };
        Ok(NotifyBaker::new(
            orders,
            mailer,
            signer,
            mail,
            ports.clock(),
            ports.metrics(STAGE)?,
        ))
    }

    async fn handle<P: Ports>(handler: &Self::Handler<P>, event: Self::Event) -> Result<Self::Response, Infallible> {
        Ok(handler.handle(event).await)
    }
}

/// Who the baker's email is from and to, and where its link points.
#[derive(Debug, Clone)]
pub struct BakerMail {
    pub from: String,
    pub to: String,
    /// The shop's public address, e.g. `https://api.example.com`; the link is
    /// `<public_base_url>/order/fulfilled?token=…`.
    pub public_base_url: String,
}

impl BakerMail {
    /// The baker's board, opened at `order_id`.
    pub fn board_link(&self, order_id: &cakeshop_domain::OrderId) -> String {
        format!(
            "{}{}",
            self.public_base_url.trim_end_matches('/'),
            crate::board::page::board_order_path(order_id)
        )
    }

    pub fn confirm_link(&self, token: &str) -> String {
        format!(
            "{}/order/fulfilled?token={token}",
            self.public_base_url.trim_end_matches('/')
        )
    }
}

pub struct NotifyBaker<R, M> {
    orders: R,
    mailer: M,
    signer: Signer,
    mail: BakerMail,
    clock: Arc<dyn Clock>,
    metrics: Arc<dyn Metrics>,
}

impl<R: OrderRepository, M: Mailer> NotifyBaker<R, M> {
    pub fn new(
        orders: R,
        mailer: M,
        signer: Signer,
        mail: BakerMail,
        clock: Arc<dyn Clock>,
        metrics: Arc<dyn Metrics>,
    ) -> Self {
        NotifyBaker {
            orders,
            mailer,
            signer,
            mail,
            clock,
            metrics,
        }
    }

    pub async fn handle(&self, event: KinesisEvent) -> KinesisEventResponse {
        process_per_key(
            event,
            &[EventKind::OrderPlaced, EventKind::OrderCancelled],
            |event| async move {
                match &event {
                    OrderEvent::OrderCancelled { cancellation, .. } => {
                        self.notify_cancelled(&event, cancellation).await
                    }
                    _ => self.notify(&event).await,
                }
            },
        )
        .await
    }

    async fn notify(&self, placed: &OrderEvent) -> Result<(), RecordError> {
        let order_id = placed.order_id();
        let order = self
            .orders
            .get(order_id)
            .await?
            .ok_or_else(|| RecordError::UnknownOrder(order_id.clone()))?;
        if order.has_step(Step::BakerNotified) {
            tracing::info!("baker already notified; repeat skipped");
            return Ok(());
        }
        if order.status == Status::Cancelled {
            // Published late (by the relay, after the cancel): nothing to bake, no link to press.
            tracing::info!("order already cancelled; no new-order email");
            return Ok(());
        }
        let now = self.clock.now();
        let token = self
            .signer
            .baker_link_token(order_id, now.plus_seconds(BAKER_LINK_LIFETIME_SECONDS));
        let email = baker_email::compose(
            &order,
            &self.mail.board_link(order_id),
            &self.mail.confirm_link(&token),
            &self.mail.from,
            &self.mail.to,
            placed.event_id(),
        );
        let message_id = match self.mailer.send(&email).await {
            Ok(message_id) => message_id,
            Err(error) => {
                return settle_refusal(&self.orders, &*self.clock, order_id, Step::BakerEmailRefused, error).await;
            }
        };
        self.orders.record_step(order_id, Step::BakerNotified, now).await?;
        let after_ms = now.unix_millis().saturating_sub(order.created_at.unix_millis());
        let notified = Metric::BakerNotified {
            after_ms: u64::try_from(after_ms).unwrap_or(0),
        };
        self.metrics.record(notified, order_id);
        tracing::info!(message_id, "baker notified");
        Ok(())
    }

    /// The customer cancelled: the baker hears of it once. The baker's own decline needs no
    /// email.
    async fn notify_cancelled(&self, cancelled: &OrderEvent, cancellation: &Cancellation) -> Result<(), RecordError> {
        if cancellation.by == CancelledBy::Baker {
            tracing::info!("declined by the baker; nothing to tell them");
            return Ok(());
        }
        let order_id = cancelled.order_id();
        let order = self
            .orders
            .get(order_id)
            .await?
            .ok_or_else(|| RecordError::UnknownOrder(order_id.clone()))?;
        if order.has_step(Step::CancellationNotified) {
            tracing::info!("baker already told of the cancellation; repeat skipped");
            return Ok(());
        }
        if order.status != Status::Cancelled {
            // Only a cancel writes this event and a cancelled order stays cancelled, so this
            // one is stray; retrying would not change the order.
            tracing::warn!(status = %order.status, "order_cancelled for an order that is not cancelled; skipped");
            return Ok(());
        }
        let email = baker_email::compose_cancellation(
            &order,
            cancellation,
            &self.mail.from,
            &self.mail.to,
            cancelled.event_id(),
        );
        let message_id = match self.mailer.send(&email).await {
            Ok(message_id) => message_id,
            Err(error) => {
                return settle_refusal(&self.orders, &*self.clock, order_id, Step::BakerEmailRefused, error).await;
            }
        };
        self.orders
            .record_step(order_id, Step::CancellationNotified, self.clock.now())
            .await?;
        tracing::info!(message_id, "baker told of the cancellation");
        Ok(())
    }
}
