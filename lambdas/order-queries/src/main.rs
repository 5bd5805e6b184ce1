//! `GET /order/{orderId}` and `GET /products`.

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use cakeshop_aws::{AwsClients, DynamoOrders, OrderQueriesConfig};
use cakeshop_handlers::{BakerKey, OrderQueries, Signer};
use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = OrderQueriesConfig::from_env()?;
    let aws = AwsClients::load().await;
    // Both secrets in one SSM round trip of init; their errors are still reported in this order.
    let [signing_secret, baker_api_key] = aws.secrets([&config.signing_secret, &config.baker_api_key]).await?;
    let handler = OrderQueries::new(
        DynamoOrders::new(aws.dynamodb(), config.orders_table),
        Signer::new(signing_secret),
        BakerKey::new(&baker_api_key),
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
