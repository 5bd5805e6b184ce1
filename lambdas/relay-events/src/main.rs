//! Every minute (EventBridge schedule): publishes the events that stored changes still owe the
//! order stream, once their marks are older than RELAY_AFTER_SECONDS.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use cakeshop_aws::{AwsClients, DynamoOrders, KinesisEvents, RelayEventsConfig};
use cakeshop_handlers::RelayEvents;
use cakeshop_ports::{SystemClock, error_chain};
use lambda_runtime::{Error, LambdaEvent, service_fn};
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = RelayEventsConfig::from_env()?;
    let aws = AwsClients::load().await;
    let handler = RelayEvents::new(
        DynamoOrders::new(aws.dynamodb(), config.orders_table),
        KinesisEvents::new(aws.kinesis(), config.order_stream),
        Arc::new(SystemClock),
        config.relay_after_seconds,
    );
    let handler = &handler;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<EventBridgeEvent>| async move {
        // A failed run is reported as failed, with its causes; what it left stays marked and
        // the next run takes it up.
        Box::pin(handler.handle(event.payload))
            .await
            .map_err(|error| Error::from(error_chain(&error)))
    }))
    .await
}
