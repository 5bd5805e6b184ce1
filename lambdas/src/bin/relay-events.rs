//! Every minute: publishes the events that stored changes still owe the order stream.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cakeshop_lambdas::run::<cakeshop_handlers::functions::RelayEventsFunction>().await
}
