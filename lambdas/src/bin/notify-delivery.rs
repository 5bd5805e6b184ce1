//! SQS delivery queue → the delivery company's HTTP API.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cakeshop_lambdas::run::<cakeshop_handlers::functions::NotifyDeliveryFunction>().await
}
