//! `GET /order/{orderId}`, `GET /orders` and `GET /products`.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cakeshop_lambdas::run::<cakeshop_handlers::functions::OrderQueriesFunction>().await
}
