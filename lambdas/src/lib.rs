//! The shop's functions as Lambda binaries. Each `src/bin/<name>.rs` is one function's
//! `bootstrap`, named as `serverless.yml` names it, and only calls `run` with its declaration
//! (`cakeshop_handlers::functions`): the declaration says what the function reads, how it is
//! built and which event it takes.
//!
//! - `run`: read the environment, fetch the secrets, build the handler, serve invocations.
//! - `ports`: the AWS adapters, configured from the function's environment.

mod ports;

pub use ports::{LambdaPorts, StartError};

use cakeshop_aws::{AwsClients, ConfigError, FunctionEnv, ResolvedEnv};
use cakeshop_handlers::functions::{Function, needs};
use cakeshop_ports::error_chain;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use std::future::Future;
use std::pin::Pin;

/// Runs function `F` as a Lambda. A variable it reads that is missing (all of them, in one
/// error) or a secret that cannot be fetched stops it at init, before any invocation.
pub async fn run<F: Function>() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let env = FunctionEnv::from_env(&needs::<F>().variables)?;
    let aws = AwsClients::load().await;
    // Boxed behind a branch the compiler folds away: awaited in place, the SSM fetch would stay
    // in the binary of a function that never reads a secret.
    let env = if F::READS_SECRETS {
        let resolving: Pin<Box<dyn Future<Output = Result<ResolvedEnv, ConfigError>> + Send + '_>> =
            Box::pin(aws.resolve(&env));
        resolving.await?
    } else {
        env.without_secrets()?
    };
    let handler = F::build(&LambdaPorts::new(aws, env))?;
    let handler = &handler;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<F::Event>| async move {
        // Boxed: a handler's future is deep enough to overflow rustc's layout query depth. A
        // failed invocation is reported with its causes.
        Box::pin(F::handle(handler, event.payload))
            .await
            .map_err(|error| Error::from(error_chain(&error)))
    }))
    .await
}
