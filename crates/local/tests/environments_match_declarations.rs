//! `serverless.yml` gives every function exactly the environment its declaration reads
//! (`cakeshop functions`): a variable removed there would stop the Lambda at init on AWS, and
//! one added there that nothing reads is a stale setting.

use cakeshop_handlers::functions::{Function, Visit, needs, visit_all};
use cakeshop_local::serverless::{Wiring, read_serverless_yml};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn project_serverless_yml() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../serverless.yml")
}

/// Every disagreement between `wiring` and the declarations, one line each.
fn disagreements(wiring: &Wiring) -> Vec<String> {
    struct Compare<'w> {
        wiring: &'w Wiring,
        found: Vec<String>,
    }
    impl Visit for Compare<'_> {
        fn function<F: Function>(&mut self) {
            let Some(deployed) = self.wiring.function(F::NAME) else {
                self.found
                    .push(format!("{}: declared but not in serverless.yml", F::NAME));
                return;
            };
            let given: BTreeSet<&str> = deployed.environment.keys().map(String::as_str).collect();
            let mut read = BTreeSet::new();
            for variable in needs::<F>().variables {
                // A secret is given as its SSM parameter's name on AWS.
                let parameter = variable.parameter_name();
                let name = parameter.as_deref().unwrap_or(variable.name);
                if !given.contains(name) {
                    self.found
                        .push(format!("{}: serverless.yml does not give {name}", F::NAME));
                }
                read.insert(name.to_owned());
            }
            for name in given {
                if !read.contains(name) {
                    self.found.push(format!(
                        "{}: serverless.yml gives {name}, which it does not read",
                        F::NAME
                    ));
                }
            }
        }
    }
    let mut compare = Compare {
        wiring,
        found: Vec::new(),
    };
    visit_all(&mut compare);
    compare.found
}

#[test]
fn every_function_gets_exactly_the_variables_it_reads() {
    let wiring = read_serverless_yml(&project_serverless_yml()).expect("serverless.yml is readable");
    assert_eq!(disagreements(&wiring), Vec::<String>::new());
}

#[test]
fn a_variable_removed_from_serverless_yml_is_caught() {
    let text = std::fs::read_to_string(project_serverless_yml()).expect("readable");
    let line = "      SENDER_EMAIL: ${param:senderEmail}\n";
    assert!(text.contains(line), "serverless.yml gives notify-baker SENDER_EMAIL");
    let dir = tempfile::tempdir().expect("temp dir");
    let broken = dir.path().join("serverless.yml");
    std::fs::write(&broken, text.replacen(line, "", 1)).expect("written");
    let wiring = read_serverless_yml(&broken).expect("still readable");
    assert_eq!(
        disagreements(&wiring),
        ["notify-baker: serverless.yml does not give SENDER_EMAIL"]
    );
}

#[test]
fn a_variable_nothing_reads_is_caught() {
    let text = std::fs::read_to_string(project_serverless_yml()).expect("readable");
    let line = "      DELIVERY_API_URL: ${param:deliveryApiUrl}\n";
    assert!(
        text.contains(line),
        "serverless.yml gives notify-delivery DELIVERY_API_URL"
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let broken = dir.path().join("serverless.yml");
    std::fs::write(
        &broken,
        text.replacen(line, &format!("{line}      BAKER_EMAIL: x\n"), 1),
    )
    .expect("written");
    let wiring = read_serverless_yml(&broken).expect("still readable");
    assert_eq!(
        disagreements(&wiring),
        ["notify-delivery: serverless.yml gives BAKER_EMAIL, which it does not read"]
    );
}
