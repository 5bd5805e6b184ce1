//! `POST /order`: the customer places an order.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cakeshop_lambdas::run::<cakeshop_handlers::functions::PlaceOrderFunction>().await
}
