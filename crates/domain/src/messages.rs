//! The messages put on the two SQS queues: what the delivery company and customer service get.

use crate::order::{Order, OrderId};
use crate::timestamp::Timestamp;
use serde::{Deserialize, Serialize};

pub const MESSAGE_SCHEMA_VERSION: u32 = 1;

/// A request for the delivery company to collect a cake and take it to the customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryRequest {
    /// Stable per order, so the partner can recognise a repeat.
    pub request_id: String,
    pub schema_version: u32,
    pub order_id: OrderId,
    pub recipient_name: String,
    pub address: String,
    pub product_name: String,
    pub quantity: u32,
    pub requested_at: Timestamp,
}

/// A customer's rating and words about a delivered order, for customer service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FeedbackMessage {
    /// Stable per order, so customer service can recognise a repeat.
    pub feedback_id: String,
    pub schema_version: u32,
    pub order_id: OrderId,
    pub customer_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feedback: Option<String>,
    pub delivered_at: Timestamp,
}

#[derive(Debug, thiserror::Error)]
pub enum MessageDecodeError {
    #[error("the message body is not a {expected}: {source}")]
    WrongShape {
        expected: &'static str,
        #[source]
        source: serde_json::Error,
    },
    #[error("{expected} schema version {found} is newer than {MESSAGE_SCHEMA_VERSION}, the newest this reader knows")]
    UnsupportedVersion { expected: &'static str, found: u32 },
}

impl DeliveryRequest {
    pub fn for_order(order: &Order, at: Timestamp) -> DeliveryRequest {
        DeliveryRequest {
            request_id: format!("delivery:{}", order.order_id),
            schema_version: MESSAGE_SCHEMA_VERSION,
            order_id: order.order_id.clone(),
            recipient_name: order.customer.name.clone(),
            address: order.customer.address.clone(),
            product_name: order.product_name.clone(),
            quantity: order.quantity,
            requested_at: at,
        }
    }

    pub fn decode(body: &str) -> Result<DeliveryRequest, MessageDecodeError> {
        let request: DeliveryRequest = decode(body, "delivery request")?;
        check_version("delivery request", request.schema_version)?;
        Ok(request)
    }
}

impl FeedbackMessage {
    pub fn for_order(order: &Order, rating: Option<u8>, feedback: Option<String>, at: Timestamp) -> FeedbackMessage {
        FeedbackMessage {
            feedback_id: format!("feedback:{}", order.order_id),
            schema_version: MESSAGE_SCHEMA_VERSION,
            order_id: order.order_id.clone(),
            customer_name: order.customer.name.clone(),
            rating,
            feedback,
            delivered_at: at,
        }
    }

    pub fn decode(body: &str) -> Result<FeedbackMessage, MessageDecodeError> {
        let message: FeedbackMessage = decode(body, "feedback message")?;
        check_version("feedback message", message.schema_version)?;
        Ok(message)
    }
}

fn decode<T: for<'de> Deserialize<'de>>(body: &str, expected: &'static str) -> Result<T, MessageDecodeError> {
    serde_json::from_str(body).map_err(|source| MessageDecodeError::WrongShape { expected, source })
}

fn check_version(expected: &'static str, found: u32) -> Result<(), MessageDecodeError> {
    if found > MESSAGE_SCHEMA_VERSION {
        return Err(MessageDecodeError::UnsupportedVersion { expected, found });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_bodies_of_the_wrong_shape() {
        assert!(DeliveryRequest::decode("{}").is_err());
        assert!(DeliveryRequest::decode("not json").is_err());
        assert!(FeedbackMessage::decode(r#"{"orderId":"a"}"#).is_err());
        let newer = r#"{"feedbackId":"f","schemaVersion":9,"orderId":"a","customerName":"A","deliveredAt":"2026-01-01T00:00:00Z"}"#;
        assert!(matches!(
            FeedbackMessage::decode(newer),
            Err(MessageDecodeError::UnsupportedVersion { found: 9, .. })
        ));
    }
}
