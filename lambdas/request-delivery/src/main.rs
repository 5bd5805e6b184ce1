//! Kinesis `order_fulfilled` → the order goes out for delivery; a request joins the queue.

use aws_lambda_events::event::kinesis::KinesisEvent;
use cakeshop_aws::{AwsClients, DynamoOrders, RequestDeliveryConfig, SqsQueue};
use cakeshop_handlers::RequestDelivery;
use cakeshop_ports::SystemClock;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = RequestDeliveryConfig::from_env()?;
    let aws = AwsClients::load().await;
    let handler = RequestDelivery::new(
        DynamoOrders::new(aws.dynamodb(), config.orders_table),
        SqsQueue::new(aws.sqs(), config.delivery_queue_url),
        Arc::new(SystemClock),
    );
    let handler = &handler;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<KinesisEvent>| async move {
        // Boxed: the handler's future is deep enough to overflow rustc's layout query depth.
        Ok::<_, Error>(Box::pin(handler.handle(event.payload)).await)
    }))
    .await
}
