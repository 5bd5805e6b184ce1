//! SQS feedback queue → customer service's HTTP API.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cakeshop_lambdas::run::<cakeshop_handlers::functions::ForwardFeedbackFunction>().await
}
