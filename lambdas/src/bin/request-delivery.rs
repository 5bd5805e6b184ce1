//! Kinesis `order_fulfilled` → the order goes out for delivery; a request joins the queue.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cakeshop_lambdas::run::<cakeshop_handlers::functions::RequestDeliveryFunction>().await
}
