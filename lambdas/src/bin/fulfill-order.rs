//! `GET|POST /order/fulfilled`: the baker marks a cake as ready.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cakeshop_lambdas::run::<cakeshop_handlers::functions::FulfillOrderFunction>().await
}
