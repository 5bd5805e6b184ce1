//! Kinesis `order_placed` → an email to the baker with a signed "cake is ready" link.

use aws_lambda_events::event::kinesis::KinesisEvent;
use cakeshop_aws::{AwsClients, DynamoOrders, NotifyBakerConfig, SesMailer};
use cakeshop_handlers::{BakerMail, NotifyBaker, Signer};
use cakeshop_ports::SystemClock;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = NotifyBakerConfig::from_env()?;
    let aws = AwsClients::load().await;
    let handler = NotifyBaker::new(
        DynamoOrders::new(aws.dynamodb(), config.orders_table),
        SesMailer::new(aws.sesv2()),
        Signer::new(aws.secret(&config.signing_secret).await?),
        BakerMail {
            from: config.sender_email,
            to: config.baker_email,
            public_base_url: config.public_base_url,
        },
        Arc::new(SystemClock),
    );
    let handler = &handler;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<KinesisEvent>| async move {
        // Boxed: the handler's future is deep enough to overflow rustc's layout query depth.
        Ok::<_, Error>(Box::pin(handler.handle(event.payload)).await)
    }))
    .await
}
