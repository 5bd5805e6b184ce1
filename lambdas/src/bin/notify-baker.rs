//! Kinesis `order_placed` → an email to the baker with a signed "cake is ready" link.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cakeshop_lambdas::run::<cakeshop_handlers::functions::NotifyBakerFunction>().await
}
