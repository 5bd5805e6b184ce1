//! The names `serverless.yml` gives the table, the stream and the queues for a stage, with the
//! few variables those names use (`${self:service}`, `${sls:stage}`) filled in.

use super::{Wiring, WiringError};
use serde_json::Value;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsNames {
    pub table: String,
    pub stream: String,
    /// Queue names by logical id.
    pub queues: BTreeMap<String, String>,
}

pub fn resolve_names(wiring: &Wiring, stage: &str) -> Result<AwsNames, WiringError> {
    let table_id = wiring
        .resources
        .iter()
        .find(|(_, r)| r.get("Type").and_then(Value::as_str) == Some("AWS::DynamoDB::Table"))
        .map(|(id, _)| id.clone())
        .ok_or_else(|| unusable("resources", "no AWS::DynamoDB::Table: the orders table is missing"))?;
    let queues = wiring
        .queues
        .keys()
        .map(|id| Ok((id.clone(), name_of(wiring, id, "QueueName", stage)?)))
        .collect::<Result<_, WiringError>>()?;
    Ok(AwsNames {
        table: name_of(wiring, &table_id, "TableName", stage)?,
        stream: name_of(wiring, &wiring.stream.logical_id, "Name", stage)?,
        queues,
    })
}

fn unusable(location: impl Into<String>, problem: impl Into<String>) -> WiringError {
    WiringError::Unusable {
        location: location.into(),
        problem: problem.into(),
    }
}

/// The resource's name property with variables filled in; without one, CloudFormation would
/// make up a name, so the logical id is used instead.
fn name_of(wiring: &Wiring, logical_id: &str, property: &str, stage: &str) -> Result<String, WiringError> {
    let location = format!("resource {logical_id}: Properties.{property}");
    match wiring
        .resources
        .get(logical_id)
        .and_then(|r| r.pointer(&format!("/Properties/{property}")))
    {
        None => Ok(logical_id.to_owned()),
        Some(Value::String(text)) => {
            substitute(text, &wiring.service, stage).map_err(|problem| unusable(location, problem))
        }
        Some(other) => Err(unusable(location, format!("must be a string (found {other})"))),
    }
}

fn substitute(text: &str, service: &str, stage: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find('}')
            .ok_or_else(|| format!("unclosed variable in {text:?}"))?
            + start;
        let variable = &rest[start + 2..end];
        let value = match variable.split(',').next().map(str::trim) {
            Some("self:service") => service,
            Some("sls:stage" | "opt:stage" | "self:provider.stage") => stage,
            _ => return Err(format!("cakeshop dev cannot resolve ${{{variable}}} in {text:?}")),
        };
        out.push_str(value);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_stage() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../serverless.yml");
        let wiring = crate::serverless::read_serverless_yml(std::path::Path::new(path)).expect("usable");
        let names = resolve_names(&wiring, "test").expect("names");
        assert_eq!(names.table, "cakeshop-test-orders");
        assert_eq!(names.stream, "cakeshop-test-orders");
        assert_eq!(
            names.queues.get("DeliveryQueue").map(String::as_str),
            Some("cakeshop-test-delivery")
        );
        assert_eq!(
            substitute("${self:service}-${opt:stage, 'dev'}-x", "s", "p"),
            Ok("s-p-x".into())
        );
        assert!(substitute("${ssm:/secret}", "s", "p").is_err());
    }
}
