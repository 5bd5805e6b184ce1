//! Passing a queued message on to a partner's API once per order, as far as this side can
//! tell: a step already recorded means the partner has it, and the idempotency key lets the
//! partner drop the repeat that a crash between the call and the record can cause.

use crate::shared::queue_batch::body;
use crate::shared::record_error::RecordError;
use aws_lambda_events::event::sqs::SqsMessage;
use cakeshop_domain::{OrderId, Step};
use cakeshop_ports::{Clock, Metric, Metrics, OrderRepository, PartnerCall, PartnerClient};

pub struct PartnerForwarding<'a, R, P> {
    pub orders: &'a R,
    pub partner: &'a P,
    /// The partner's name in metrics (`cakeshop_ports::partner::DELIVERY`, …).
    pub partner_name: &'static str,
    pub clock: &'a dyn Clock,
    pub metrics: &'a dyn Metrics,
    /// The step that records the partner has the message.
    pub step: Step,
}

impl<R: OrderRepository, P: PartnerClient> PartnerForwarding<'_, R, P> {
    /// POSTs the message body as it is (it is the partner's contract) unless already done.
    pub async fn forward(
        &self,
        message: &SqsMessage,
        order_id: &OrderId,
        idempotency_key: String,
    ) -> Result<(), RecordError> {
        let order = self
            .orders
            .get(order_id)
            .await?
            .ok_or_else(|| RecordError::UnknownOrder(order_id.clone()))?;
        if order.has_step(self.step) {
            tracing::info!(step = self.step.as_str(), "already done; repeat skipped");
            return Ok(());
        }
        let call = PartnerCall {
            idempotency_key,
            body: body(message).to_owned(),
        };
        if let Err(error) = self.partner.call(&call).await {
            let failed = Metric::PartnerFailed {
                partner: self.partner_name,
            };
            self.metrics.record(failed, order_id);
            return Err(error.into());
        }
        self.orders.record_step(order_id, self.step, self.clock.now()).await?;
        tracing::info!(step = self.step.as_str(), "partner called");
        Ok(())
    }
}
