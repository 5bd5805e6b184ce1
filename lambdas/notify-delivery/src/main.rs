//! SQS delivery queue → the delivery company's HTTP API.

use aws_lambda_events::event::sqs::SqsEvent;
use cakeshop_aws::{AwsClients, DEFAULT_PARTNER_TIMEOUT, DynamoOrders, HttpPartner, NotifyDeliveryConfig};
use cakeshop_handlers::NotifyDelivery;
use cakeshop_ports::SystemClock;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = NotifyDeliveryConfig::from_env()?;
    let delivery_company = HttpPartner::new(&config.delivery_api_url, DEFAULT_PARTNER_TIMEOUT)?;
    let aws = AwsClients::load().await;
    let handler = NotifyDelivery::new(
        DynamoOrders::new(aws.dynamodb(), config.orders_table),
        delivery_company,
        Arc::new(SystemClock),
    );
    let handler = &handler;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        // Boxed: the handler's future is deep enough to overflow rustc's layout query depth.
        Ok::<_, Error>(Box::pin(handler.handle(event.payload)).await)
    }))
    .await
}
