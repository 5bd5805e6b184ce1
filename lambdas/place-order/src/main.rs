//! `POST /order`: the customer places an order.

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use cakeshop_aws::{AwsClients, DynamoOrders, KinesisEvents, PlaceOrderConfig};
use cakeshop_handlers::{PlaceOrder, Signer};
use cakeshop_ports::{SystemClock, TimeOrderedIds};
use lambda_runtime::{Error, LambdaEvent, service_fn};
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = PlaceOrderConfig::from_env()?;
    let aws = AwsClients::load().await;
    let handler = PlaceOrder::new(
        DynamoOrders::new(aws.dynamodb(), config.orders_table),
        KinesisEvents::new(aws.kinesis(), config.order_stream),
        Signer::new(aws.secret(&config.signing_secret).await?),
        Arc::new(SystemClock),
        Arc::new(TimeOrderedIds),
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
