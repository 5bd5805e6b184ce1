//! `POST /order/delivered`: the customer confirms delivery; feedback joins the queue.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cakeshop_lambdas::run::<cakeshop_handlers::functions::ConfirmDeliveryFunction>().await
}
