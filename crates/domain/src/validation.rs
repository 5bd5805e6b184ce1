//! Turning a customer's or baker's JSON body into checked values, with messages a person can act on.

use crate::calendar::Day;
use crate::catalogue::ProductId;
use crate::order::{Customer, OrderId, OrderRequest};
use serde_json::{Map, Value};

pub use crate::request_error::{FieldError, RequestError};

/// Bodies larger than this are refused before they are parsed.
pub const MAX_BODY_BYTES: usize = 16 * 1024;
pub const MAX_QUANTITY: u32 = 20;
const MAX_NAME_CHARS: usize = 100;
const MAX_ADDRESS_CHARS: usize = 300;
const MAX_EMAIL_CHARS: usize = 254;
const MAX_NOTES_CHARS: usize = 500;
const MAX_FEEDBACK_CHARS: usize = 2000;

/// A customer's confirmation that the cake arrived, with an optional rating and feedback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryConfirmation {
    pub order_id: OrderId,
    pub rating: Option<u8>,
    pub feedback: Option<String>,
}

/// `POST /order`: `{"name","address","productId","quantity"}` plus optional `email`, `notes` and
/// `deliveryDate` (`YYYY-MM-DD`).
pub fn parse_new_order(body: &[u8]) -> Result<OrderRequest, RequestError> {
    let mut fields = Fields::parse(
        body,
        &[
            "name",
            "address",
            "productId",
            "quantity",
            "email",
            "notes",
            "deliveryDate",
        ],
    )?;
    let name = fields.text("name", MAX_NAME_CHARS, Lines::Single);
    let address = fields.text("address", MAX_ADDRESS_CHARS, Lines::Multi);
    let product_id = fields.whole_number("productId", 1, u64::from(u32::MAX));
    let quantity = fields.whole_number("quantity", 1, u64::from(MAX_QUANTITY));
    let email = fields.optional_email("email");
    let notes = fields.optional_text("notes", MAX_NOTES_CHARS, Lines::Multi);
    let delivery_date = fields.optional_day("deliveryDate");
    fields.finish()?;
    let (Some(name), Some(address), Some(product_id), Some(quantity), Some(delivery_date)) =
        (name, address, product_id, quantity, delivery_date)
    else {
        return Err(RequestError::Invalid(Vec::new()));
    };
    Ok(OrderRequest {
        customer: Customer {
            name,
            address,
            email: email.flatten(),
            notes: notes.flatten(),
        },
        product_id: ProductId(u32::try_from(product_id).unwrap_or(u32::MAX)),
        quantity: u32::try_from(quantity).unwrap_or(MAX_QUANTITY),
        delivery_date,
    })
}

pub fn parse_order_reference(body: &[u8]) -> Result<OrderId, RequestError> {
    let mut fields = Fields::parse(body, &["orderId"])?;
    let order_id = fields.order_id("orderId");
    fields.finish()?;
    order_id.ok_or(RequestError::Invalid(Vec::new()))
}

/// `POST /order/delivered`: `{"orderId"}` plus optional `rating` (1–5) and `feedback`.
pub fn parse_delivery_confirmation(body: &[u8]) -> Result<DeliveryConfirmation, RequestError> {
    let mut fields = Fields::parse(body, &["orderId", "rating", "feedback"])?;
    let order_id = fields.order_id("orderId");
    let rating = fields.optional_whole_number("rating", 1, 5);
    let feedback = fields.optional_text("feedback", MAX_FEEDBACK_CHARS, Lines::Multi);
    fields.finish()?;
    let Some(order_id) = order_id else {
        return Err(RequestError::Invalid(Vec::new()));
    };
    Ok(DeliveryConfirmation {
        order_id,
        rating: rating.flatten().map(|r| r as u8),
        feedback: feedback.flatten(),
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Lines {
    Single,
    Multi,
}

/// A JSON object being read field by field, collecting every problem rather than the first.
#[derive(Default)]
struct Fields {
    object: Map<String, Value>,
    errors: Vec<FieldError>,
}

impl Fields {
    fn parse(body: &[u8], allowed: &[&'static str]) -> Result<Fields, RequestError> {
        if body.len() > MAX_BODY_BYTES {
            return Err(RequestError::TooLarge { limit: MAX_BODY_BYTES });
        }
        let value: Value = serde_json::from_slice(body).map_err(|e| RequestError::Malformed(e.to_string()))?;
        let Value::Object(object) = value else {
            return Err(RequestError::Malformed("expected a JSON object".into()));
        };
        let mut errors = Vec::new();
        for key in object.keys() {
            if !allowed.contains(&key.as_str()) {
                errors.push(FieldError {
                    field: "body",
                    message: format!("unknown field {key:?}; allowed fields are {}", allowed.join(", ")),
                });
            }
        }
        Ok(Fields { object, errors })
    }

    fn fail(&mut self, field: &'static str, message: impl Into<String>) {
        self.errors.push(FieldError {
            field,
            message: message.into(),
        });
    }

    fn finish(self) -> Result<(), RequestError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(RequestError::Invalid(self.errors))
        }
    }

    /// The field's value; `null` counts as absent.
    fn present(&self, field: &str) -> Option<&Value> {
        self.object.get(field).filter(|value| !value.is_null())
    }

    fn required(&mut self, field: &'static str) -> Option<Value> {
        let value = self.present(field).cloned();
        if value.is_none() {
            self.fail(field, format!("{field} is required"));
        }
        value
    }

    /// Required free text: present, a string, and not just whitespace.
    fn text(&mut self, field: &'static str, max_chars: usize, lines: Lines) -> Option<String> {
        let value = self.required(field)?;
        let text = self.check_text(field, &value, max_chars, lines)?;
        if text.is_empty() {
            self.fail(field, format!("{field} must not be empty"));
            return None;
        }
        Some(text)
    }

    fn optional_text(&mut self, field: &'static str, max_chars: usize, lines: Lines) -> Option<Option<String>> {
        match self.present(field).cloned() {
            None => Some(None),
            Some(value) => self.check_text(field, &value, max_chars, lines).map(|text| {
                // An optional field that is only whitespace says nothing.
                if text.is_empty() { None } else { Some(text) }
            }),
        }
    }

    fn check_text(&mut self, field: &'static str, value: &Value, max_chars: usize, lines: Lines) -> Option<String> {
        let Value::String(text) = value else {
            self.fail(field, format!("{field} must be a string"));
            return None;
        };
        let text = text.trim();
        let allowed_control = |c: char| lines == Lines::Multi && (c == '\n' || c == '\r' || c == '\t');
        if text
            .chars()
            .any(|c| (c.is_control() || is_invisible_format(c)) && !allowed_control(c))
        {
            let what = if lines == Lines::Single {
                "line breaks or control characters"
            } else {
                "control characters"
            };
            self.fail(field, format!("{field} must not contain {what}"));
            return None;
        }
        let chars = text.chars().count();
        if chars > max_chars {
            self.fail(field, format!("{field} must be at most {max_chars} characters"));
            return None;
        }
        Some(text.to_owned())
    }

    fn whole_number(&mut self, field: &'static str, min: u64, max: u64) -> Option<u64> {
        let value = self.required(field)?;
        self.check_whole_number(field, &value, min, max)
    }

    fn optional_whole_number(&mut self, field: &'static str, min: u64, max: u64) -> Option<Option<u64>> {
        match self.present(field).cloned() {
            None => Some(None),
            Some(value) => self.check_whole_number(field, &value, min, max).map(Some),
        }
    }

    fn check_whole_number(&mut self, field: &'static str, value: &Value, min: u64, max: u64) -> Option<u64> {
        let in_range = match value {
            Value::Number(number) if number.is_u64() || number.is_i64() => {
                number.as_u64().filter(|n| (min..=max).contains(n))
            }
            Value::Number(_) | Value::String(_) | Value::Bool(_) | Value::Array(_) | Value::Object(_) | Value::Null => {
                self.fail(field, format!("{field} must be a whole number"));
                return None;
            }
        };
        if in_range.is_none() {
            self.fail(field, format!("{field} must be between {min} and {max}"));
        }
        in_range
    }

    fn optional_email(&mut self, field: &'static str) -> Option<Option<String>> {
        let text = self.optional_text(field, MAX_EMAIL_CHARS, Lines::Single)?;
        match text {
            Some(email) if !looks_like_email(&email) => {
                self.fail(field, format!("{field} must look like name@example.com"));
                None
            }
            other => Some(other),
        }
    }

    fn optional_day(&mut self, field: &'static str) -> Option<Option<Day>> {
        match self.present(field).cloned() {
            None => Some(None),
            Some(Value::String(text)) => match Day::parse(&text) {
                Ok(day) => Some(Some(day)),
                Err(error) => {
                    self.fail(field, format!("{field}: {error}"));
                    None
                }
            },
            Some(_) => {
                self.fail(field, format!("{field} must be a date written YYYY-MM-DD"));
                None
            }
        }
    }

    fn optional_bool(&mut self, field: &'static str) -> Option<Option<bool>> {
        match self.present(field).cloned() {
            None => Some(None),
            Some(Value::Bool(value)) => Some(Some(value)),
            Some(_) => {
                self.fail(field, format!("{field} must be true or false"));
                None
            }
        }
    }

    fn order_id(&mut self, field: &'static str) -> Option<OrderId> {
        let value = self.required(field)?;
        let Value::String(text) = value else {
            self.fail(field, format!("{field} must be a string"));
            return None;
        };
        match OrderId::parse(&text) {
            Ok(id) => Some(id),
            Err(error) => {
                self.fail(field, error.to_string());
                None
            }
        }
    }
}

fn looks_like_email(text: &str) -> bool {
    let mut parts = text.split('@');
    let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !text
            .chars()
            .any(|c| c.is_whitespace() || c == '<' || c == '>' || c == ',' || c == ';')
}

mod settings;
mod settings_form;
#[cfg(test)]
mod tests;

pub use settings::{
    Cancel, parse_cancellation, parse_capacity_change, parse_new_product, parse_product_change, parse_shop_status,
};
pub use settings_form::{product_change_from_form, shop_status_from_form, weekday_capacity_from_form};

/// Line and paragraph separators, and the bidirectional overrides and isolates that can make a
/// name read differently in the baker's email than it was typed: refused like control characters.
fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}
