//! `POST /order/delivered`: the customer confirms delivery; feedback joins the queue.

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use cakeshop_aws::{AwsClients, ConfirmDeliveryConfig, DynamoOrders, SqsQueue};
use cakeshop_handlers::{ConfirmDelivery, Signer};
use cakeshop_ports::SystemClock;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = ConfirmDeliveryConfig::from_env()?;
    let aws = AwsClients::load().await;
    let handler = ConfirmDelivery::new(
        DynamoOrders::new(aws.dynamodb(), config.orders_table),
        SqsQueue::new(aws.sqs(), config.feedback_queue_url),
        Signer::new(aws.secret(&config.signing_secret).await?),
        Arc::new(SystemClock),
    );
    let handler = &handler;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<ApiGatewayV2httpRequest>| async move {
            // Boxed: the handler's future is deep enough to overflow rustc's layout query depth.
            Ok::<_, Error>(Box::pin(handler.handle(event.payload)).await)
        },
    ))
    .await
}
