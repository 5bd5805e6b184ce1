//! The HTTP side shared by the API handlers: reading an API Gateway v2 request and writing the
//! JSON response (pages are `pages`') with the project's error shape `{"error":{"code","message"}}`.

use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_lambda_events::encodings::Body;
use base64::Engine;
use cakeshop_domain::RequestError;
use cakeshop_domain::validation::MAX_BODY_BYTES;
use http::HeaderMap;
use http::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use serde::Serialize;

/// A refusal, as the client will see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
    /// Sent as `Retry-After`: when trying again is worth it.
    pub retry_after_seconds: Option<u32>,
}

/// How long a client is asked to wait before retrying a write the full store refused.
pub const STORAGE_FULL_RETRY_AFTER_SECONDS: u32 = 30;

impl ApiError {
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after_seconds: None,
        }
    }

    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::new(401, "unauthorized", message)
    }

    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(403, "forbidden", message)
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(404, "not_found", message)
    }

    pub fn conflict(message: impl Into<String>) -> ApiError {
        ApiError::new(409, "illegal_transition", message)
    }

    /// A failure of ours, not the client's. The cause is logged; the client gets no details.
    /// A store out of space is the machine's condition, not a bug: `503 storage_full`, with
    /// `Retry-After`, as nothing was written and the same request will succeed once there is
    /// room again.
    pub fn internal(what: &str, cause: &(dyn std::error::Error + 'static)) -> ApiError {
        if cakeshop_ports::is_storage_full(cause) {
            tracing::error!(error = %error_chain(cause), "{what}: the store is out of space");
            return ApiError {
                retry_after_seconds: Some(STORAGE_FULL_RETRY_AFTER_SECONDS),
                ..ApiError::new(
                    503,
                    "storage_full",
                    "the shop's storage is full, so nothing was saved; please try again in a little while",
                )
            };
        }
        tracing::error!(error = %error_chain(cause), "{what}");
        ApiError::new(500, "internal", format!("{what}; please try again"))
    }

    pub fn into_response(self) -> ApiGatewayV2httpResponse {
        let body = serde_json::json!({ "error": { "code": self.code, "message": self.message } });
        let mut response = json_response(self.status, &body);
        if let Some(seconds) = self.retry_after_seconds {
            response
                .headers
                .insert(http::header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl From<RequestError> for ApiError {
    fn from(error: RequestError) -> ApiError {
        let (status, code) = match &error {
            RequestError::TooLarge { .. } => (413, "too_large"),
            RequestError::Malformed(_) => (400, "malformed"),
            RequestError::Invalid(_) => (422, "invalid"),
        };
        ApiError::new(status, code, error.to_string())
    }
}

pub use cakeshop_ports::error_chain;

pub fn json_response<T: Serialize + ?Sized>(status: u16, value: &T) -> ApiGatewayV2httpResponse {
    match serde_json::to_string(value) {
        Ok(body) => response(status, "application/json", "no-store", body),
        Err(error) => {
            tracing::error!(error = %error_chain(&error), "writing a response body failed");
            let body = r#"{"error":{"code":"internal","message":"the answer could not be written; please try again"}}"#;
            response(500, "application/json", "no-store", body.to_owned())
        }
    }
}

/// A response with its content type and caching: every answer the shop's functions give.
pub(crate) fn response(
    status: u16,
    content_type: &'static str,
    cache: &'static str,
    body: String,
) -> ApiGatewayV2httpResponse {
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static(cache));
    let mut response = ApiGatewayV2httpResponse::default();
    response.status_code = i64::from(status);
    response.headers = headers;
    response.body = Some(Body::Text(body));
    response
}

/// The answer to a request for a route the function does not declare (API Gateway sends it
/// none; a direct invocation may).
pub fn no_route(request: &ApiGatewayV2httpRequest) -> ApiGatewayV2httpResponse {
    let method = &request.request_context.http.method;
    let path = request.raw_path.as_deref().unwrap_or_default();
    ApiError::not_found(format!("no route {method} {path}")).into_response()
}

/// The body's bytes, decoded if API Gateway base64-encoded them, refused if too large.
pub fn body_bytes(request: &ApiGatewayV2httpRequest) -> Result<Vec<u8>, ApiError> {
    let raw = request.body.as_deref().unwrap_or_default();
    // Base64 is 4/3 of the payload: refuse before decoding anything absurd.
    if raw.len() > MAX_BODY_BYTES * 4 / 3 + 4 {
        return Err(RequestError::TooLarge { limit: MAX_BODY_BYTES }.into());
    }
    let bytes = if request.is_base64_encoded {
        base64::engine::general_purpose::STANDARD
            .decode(raw)
            .map_err(|e| ApiError::new(400, "malformed", format!("the body is not valid base64: {e}")))?
    } else {
        raw.as_bytes().to_vec()
    };
    if bytes.len() > MAX_BODY_BYTES {
        return Err(RequestError::TooLarge { limit: MAX_BODY_BYTES }.into());
    }
    Ok(bytes)
}

/// The credential in `Authorization: Bearer <token>`, if any.
pub fn bearer_token(request: &ApiGatewayV2httpRequest) -> Option<&str> {
    let value = request.headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// Whether the body was sent as an HTML form rather than JSON.
pub fn is_form(request: &ApiGatewayV2httpRequest) -> bool {
    request
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        })
}

/// Runs an API handler body, turning its refusal into the error response.
pub fn respond(result: Result<ApiGatewayV2httpResponse, ApiError>) -> ApiGatewayV2httpResponse {
    result.unwrap_or_else(ApiError::into_response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request_with(header: &str) -> ApiGatewayV2httpRequest {
        let mut request = ApiGatewayV2httpRequest::default();
        request.headers.insert(
            http::header::AUTHORIZATION,
            HeaderValue::from_str(header).expect("ascii"),
        );
        request
    }

    #[test]
    fn reads_bearer_tokens_only() {
        assert_eq!(bearer_token(&request_with("Bearer abc")), Some("abc"));
        assert_eq!(bearer_token(&request_with("bearer  abc ")), Some("abc"));
        assert_eq!(bearer_token(&request_with("Basic abc")), None);
        assert_eq!(bearer_token(&request_with("Bearer ")), None);
        assert_eq!(bearer_token(&ApiGatewayV2httpRequest::default()), None);
    }

    #[test]
    fn decodes_base64_bodies_and_refuses_large_ones() {
        let mut request = ApiGatewayV2httpRequest::default();
        request.body = Some("eyJhIjoxfQ==".into());
        request.is_base64_encoded = true;
        assert_eq!(body_bytes(&request).expect("decodes"), br#"{"a":1}"#.to_vec());
        request.body = Some("!!".into());
        assert_eq!(body_bytes(&request).map_err(|e| e.status), Err(400));
        request.is_base64_encoded = false;
        request.body = Some("x".repeat(MAX_BODY_BYTES + 1));
        assert_eq!(body_bytes(&request).map_err(|e| e.status), Err(413));
    }
}
