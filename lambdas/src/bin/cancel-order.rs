//! `POST /order/cancelled`: the customer cancels, or the baker declines, a placed order.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cakeshop_lambdas::run::<cakeshop_handlers::functions::CancelOrderFunction>().await
}
