//! Kinesis `order_placed`, `order_fulfilled`, `order_cancelled` → an email to the customer with their tracking link.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cakeshop_lambdas::run::<cakeshop_handlers::functions::NotifyCustomerFunction>().await
}
