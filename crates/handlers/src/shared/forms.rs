//! HTML forms posted to the API's routes: their fields, the JSON body the route's validation
//! reads (so a form and an API client are held to the same rules), and the refusal of posts
//! another site made the browser send.

use crate::shared::api::{ApiError, body_bytes};
use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use serde_json::{Map, Value};
use std::collections::HashMap;

/// A form's fields by name (the last of a repeated name wins).
pub fn form_fields(request: &ApiGatewayV2httpRequest) -> Result<HashMap<String, String>, ApiError> {
    let body = body_bytes(request)?;
    Ok(form_urlencoded::parse(&body).into_owned().collect())
}

/// The JSON body for a route's validation: `texts` as strings and `numbers` as numbers where
/// they read as one (else as typed, for validation to refuse); empty fields are left out.
pub fn json_body(fields: &HashMap<String, String>, texts: &[&str], numbers: &[&str]) -> Vec<u8> {
    let mut body = Map::new();
    let present = |name: &&str| fields.get(*name).map(|v| v.trim()).filter(|v| !v.is_empty());
    for name in texts {
        if let Some(value) = present(name) {
            body.insert((*name).to_owned(), Value::String(value.to_owned()));
        }
    }
    for name in numbers {
        if let Some(value) = present(name) {
            let number = value
                .parse::<u64>()
                .map_or_else(|_| Value::String(value.to_owned()), Value::from);
            body.insert((*name).to_owned(), number);
        }
    }
    Value::Object(body).to_string().into_bytes()
}

/// Whether the browser sent this request from another site. Browsers say so in
/// `Sec-Fetch-Site`; older ones send `Origin`, compared with the host asked for.
pub fn from_another_site(request: &ApiGatewayV2httpRequest) -> bool {
    let header = |name: &str| request.headers.get(name).and_then(|value| value.to_str().ok());
    if let Some(site) = header("sec-fetch-site") {
        return !matches!(site, "same-origin" | "none");
    }
    match (header("origin"), header("host")) {
        (Some(origin), Some(host)) => origin.split_once("://").map(|(_, rest)| rest) != Some(host),
        (Some(_), None) => true,
        (None, _) => false,
    }
}

/// Refuses a post another site made the browser send.
pub fn same_site(request: &ApiGatewayV2httpRequest) -> Result<(), ApiError> {
    if from_another_site(request) {
        Err(ApiError::forbidden("this form was sent from another site"))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_become_the_json_the_routes_validate() {
        let fields: HashMap<String, String> = [
            ("orderId", "abc"),
            ("rating", "5"),
            ("feedback", "  "),
            ("quantity", "two"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let body: Value =
            serde_json::from_slice(&json_body(&fields, &["orderId", "feedback"], &["rating", "quantity"]))
                .expect("json");
        assert_eq!(
            body,
            serde_json::json!({ "orderId": "abc", "rating": 5, "quantity": "two" })
        );
    }
}
