//! SQS feedback queue → customer service's HTTP API.

use aws_lambda_events::event::sqs::SqsEvent;
use cakeshop_aws::{AwsClients, DEFAULT_PARTNER_TIMEOUT, DynamoOrders, ForwardFeedbackConfig, HttpPartner};
use cakeshop_handlers::ForwardFeedback;
use cakeshop_ports::SystemClock;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = ForwardFeedbackConfig::from_env()?;
    let customer_service = HttpPartner::new(&config.customer_service_api_url, DEFAULT_PARTNER_TIMEOUT)?;
    let aws = AwsClients::load().await;
    let handler = ForwardFeedback::new(
        DynamoOrders::new(aws.dynamodb(), config.orders_table),
        customer_service,
        Arc::new(SystemClock),
    );
    let handler = &handler;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        // Boxed: the handler's future is deep enough to overflow rustc's layout query depth.
        Ok::<_, Error>(Box::pin(handler.handle(event.payload)).await)
    }))
    .await
}
