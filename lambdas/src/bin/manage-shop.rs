//! The shop's settings: the catalogue, each day's capacity, open or closed.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cakeshop_lambdas::run::<cakeshop_handlers::functions::ManageShopFunction>().await
}
