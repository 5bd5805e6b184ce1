//! Lambda event filtering (`filterPatterns`) for Kinesis records: the pattern's top-level keys
//! name record fields (`partitionKey`, `data`); `data` is matched as JSON. Supported matchers are
//! the exact values of an array, `prefix`, `exists` and `anything-but`, nested to any depth.

use serde::Deserializer as _;
use serde::de::{IgnoredAny, MapAccess, Visitor};
use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq)]
pub struct FilterPattern {
    pattern: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {problem}")]
pub struct PatternError {
    pub path: String,
    pub problem: String,
}

impl FilterPattern {
    /// Checks that every leaf is something this matcher understands.
    pub fn new(pattern: Value) -> Result<FilterPattern, PatternError> {
        let Value::Object(pattern) = pattern else {
            return Err(PatternError {
                path: "pattern".into(),
                problem: "must be a mapping".into(),
            });
        };
        check(&pattern, "pattern")?;
        Ok(FilterPattern { pattern })
    }

    /// Whether a Kinesis record with this partition key and data passes the filter.
    pub fn matches(&self, partition_key: &str, data: &[u8]) -> bool {
        let data = match self.pattern.get("data") {
            // Records carry whole orders: decode only the fields the pattern looks at.
            Some(Value::Object(fields)) => decode_fields(data, fields).map(Value::Object),
            Some(_) => serde_json::from_slice(data).ok(),
            None => None,
        };
        let mut record = Map::new();
        record.insert("partitionKey".into(), Value::String(partition_key.to_owned()));
        record.insert("data".into(), data.unwrap_or(Value::Null));
        matches_object(&self.pattern, &record)
    }
}

/// The named fields of a JSON object, the others skipped unbuilt; `None` unless `data` is an
/// object of well-formed JSON and nothing else.
fn decode_fields(data: &[u8], fields: &Map<String, Value>) -> Option<Map<String, Value>> {
    let mut decoder = serde_json::Deserializer::from_slice(data);
    let decoded = decoder.deserialize_map(FieldsNamed(fields)).ok()?;
    decoder.end().ok()?;
    Some(decoded)
}

struct FieldsNamed<'p>(&'p Map<String, Value>);

impl<'de> Visitor<'de> for FieldsNamed<'_> {
    type Value = Map<String, Value>;

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut object: A) -> Result<Self::Value, A::Error> {
        let mut decoded = Map::new();
        while let Some(key) = object.next_key::<String>()? {
            if self.0.contains_key(&key) {
                decoded.insert(key, object.next_value()?);
            } else {
                object.next_value::<IgnoredAny>()?;
            }
        }
        Ok(decoded)
    }
}

fn check(pattern: &Map<String, Value>, path: &str) -> Result<(), PatternError> {
    for (key, value) in pattern {
        let path = format!("{path}.{key}");
        match value {
            Value::Object(nested) => check(nested, &path)?,
            Value::Array(matchers) => {
                for matcher in matchers {
                    check_matcher(matcher, &path)?;
                }
            }
            _ => {
                return Err(PatternError {
                    path,
                    problem: "must be a list of values or a nested mapping".into(),
                });
            }
        }
    }
    Ok(())
}

fn check_matcher(matcher: &Value, path: &str) -> Result<(), PatternError> {
    let Value::Object(operator) = matcher else {
        return Ok(());
    };
    let supported = match operator.iter().next() {
        Some((name, Value::String(_))) if name == "prefix" => operator.len() == 1,
        Some((name, Value::Bool(_))) if name == "exists" => operator.len() == 1,
        Some((name, _)) if name == "anything-but" => operator.len() == 1,
        _ => false,
    };
    if supported {
        Ok(())
    } else {
        Err(PatternError {
            path: path.to_owned(),
            problem: format!(
                "unsupported matcher {matcher}; cakeshop dev supports values, prefix, exists and anything-but"
            ),
        })
    }
}

fn matches_object(pattern: &Map<String, Value>, value: &Map<String, Value>) -> bool {
    pattern.iter().all(|(key, expected)| {
        let actual = value.get(key);
        match expected {
            Value::Object(nested) => {
                matches!(actual, Some(Value::Object(inner)) if matches_object(nested, inner))
            }
            Value::Array(matchers) => matchers.iter().any(|matcher| matches_value(matcher, actual)),
            _ => false,
        }
    })
}

fn matches_value(matcher: &Value, actual: Option<&Value>) -> bool {
    match matcher {
        Value::Object(operator) => match operator.iter().next() {
            Some((name, Value::String(prefix))) if name == "prefix" => {
                matches!(actual, Some(Value::String(text)) if text.starts_with(prefix.as_str()))
            }
            Some((name, Value::Bool(exists))) if name == "exists" => actual.is_some() == *exists,
            Some((name, excluded)) if name == "anything-but" => match (excluded, actual) {
                (_, None) => false,
                (Value::Array(values), Some(actual)) => !values.contains(actual),
                (value, Some(actual)) => value != actual,
            },
            _ => false,
        },
        expected => actual == Some(expected),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pattern(value: Value) -> FilterPattern {
        FilterPattern::new(value).expect("valid pattern")
    }

    #[test]
    fn matches_the_type_of_the_json_data() {
        let placed = pattern(json!({ "data": { "type": ["order_placed"] } }));
        assert!(placed.matches("k", br#"{"type":"order_placed","x":1}"#));
        assert!(!placed.matches("k", br#"{"type":"order_fulfilled"}"#));
        assert!(!placed.matches("k", b"not json"));
        assert!(!placed.matches("k", br#"{"kind":"order_placed"}"#));
    }

    #[test]
    fn decodes_only_a_whole_well_formed_object() {
        let placed = pattern(json!({ "data": { "type": ["order_placed"] } }));
        let escaped = br#"{"order":{"note":"a \"big\" cake"},"type":"order_\u0070laced"}"#;
        assert!(placed.matches("k", escaped));
        assert!(!placed.matches("k", br#"{"type":"order_placed"} trailing"#));
        assert!(!placed.matches("k", br#"{"type":"order_placed","order":{"#));
        assert!(!placed.matches("k", br#"["order_placed"]"#));
        let whole = pattern(json!({ "data": [{ "exists": true }] }));
        assert!(whole.matches("k", br#"["anything"]"#));
    }

    #[test]
    fn understands_prefix_exists_and_anything_but() {
        assert!(pattern(json!({ "partitionKey": [{ "prefix": "ab" }] })).matches("abc", b"{}"));
        assert!(pattern(json!({ "data": { "note": [{ "exists": false }] } })).matches("k", b"{}"));
        let not_placed = pattern(json!({ "data": { "type": [{ "anything-but": ["order_placed"] }] } }));
        assert!(not_placed.matches("k", br#"{"type":"order_fulfilled"}"#));
        assert!(!not_placed.matches("k", br#"{"type":"order_placed"}"#));
    }

    #[test]
    fn refuses_what_it_cannot_honour() {
        let error = FilterPattern::new(json!({ "data": { "n": [{ "numeric": [">", 1] }] } })).unwrap_err();
        assert_eq!(error.path, "pattern.data.n");
        assert!(FilterPattern::new(json!({ "data": { "type": "order_placed" } })).is_err());
    }
}
