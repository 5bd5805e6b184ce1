//! Kinesis `order_placed` → an email to the baker with a signed "cake is ready" link.

use crate::auth::{BAKER_LINK_LIFETIME_SECONDS, Signer};
use crate::baker_email;
use crate::record_error::RecordError;
use crate::stream_batch::process_per_key;
use aws_lambda_events::event::kinesis::KinesisEvent;
use aws_lambda_events::event::streams::KinesisEventResponse;
use cakeshop_domain::{EventKind, OrderEvent, Step};
use cakeshop_ports::{Clock, Mailer, OrderRepository};
use std::sync::Arc;

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
}

impl<R: OrderRepository, M: Mailer> NotifyBaker<R, M> {
    pub fn new(orders: R, mailer: M, signer: Signer, mail: BakerMail, clock: Arc<dyn Clock>) -> Self {
        NotifyBaker {
            orders,
            mailer,
            signer,
            mail,
            clock,
        }
    }

    pub async fn handle(&self, event: KinesisEvent) -> KinesisEventResponse {
        process_per_key(event, EventKind::OrderPlaced, |placed| self.notify(placed)).await
    }

    async fn notify(&self, placed: OrderEvent) -> Result<(), RecordError> {
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
        let now = self.clock.now();
        let token = self
            .signer
            .baker_link_token(order_id, now.plus_seconds(BAKER_LINK_LIFETIME_SECONDS));
        let email = baker_email::compose(
            &order,
            &self.mail.confirm_link(&token),
            &self.mail.from,
            &self.mail.to,
            placed.event_id(),
        );
        let message_id = self.mailer.send(&email).await?;
        self.orders.record_step(order_id, Step::BakerNotified, now).await?;
        tracing::info!(message_id, "baker notified");
        Ok(())
    }
}
