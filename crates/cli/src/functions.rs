//! `cakeshop functions`: the declared functions, for people and for the deployment checks
//! (`--json`), so that nothing outside Rust keeps its own list.

use anyhow::Context;
use cakeshop_handlers::functions::describe_all;
use clap::Args;

#[derive(Args)]
pub struct FunctionsArgs {
    /// Print JSON: `[{"name", "summary", "trigger", "environment": [{"name", "kind"}],
    /// "routes": [{"method", "path", "access"}]}]`.
    #[arg(long)]
    json: bool,
}

pub fn run(args: &FunctionsArgs) -> anyhow::Result<()> {
    let functions = describe_all();
    if args.json {
        let text = serde_json::to_string_pretty(&functions).context("writing the functions as JSON")?;
        println!("{text}");
        return Ok(());
    }
    for function in functions {
        let environment: Vec<&str> = function.environment.iter().map(|variable| variable.name).collect();
        println!(
            "{:<18} {:<9} {}",
            function.name,
            function.trigger.as_str(),
            function.summary
        );
        for route in &function.routes {
            let (method, path, who) = (route.method, route.path, route.access.who());
            println!("{:<18} {:<9} {method} {path}, by {who}", "", "");
        }
        println!("{:<18} {:<9} reads {}", "", "", environment.join(", "));
    }
    Ok(())
}
