//! `GET /order/{orderId}` and `GET /orders`.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cakeshop_lambdas::run::<cakeshop_handlers::functions::OrderQueriesFunction>().await
}
