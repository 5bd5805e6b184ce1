//! API Gateway (HTTP API): every `httpApi` route of `serverless.yml` becomes the API Gateway v2
//! (payload 2.0) event the function would get on AWS, and its response becomes the HTTP answer.
//! This router is the public surface of `cakeshop dev`, exactly what API Gateway serves.
//!
//! - `client_address`: the event's source IP, believing `X-Forwarded-For` from trusted proxies only.

mod client_address;

pub use client_address::{TrustedProxies, TrustedProxy, TrustedProxyError};

use crate::arn::ACCOUNT;
use crate::feeds::error_response as error;
use crate::lambda::Invoke;
use crate::serverless::Route;
use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_lambda_events::encodings::Body as LambdaBody;
use aws_lambda_events::query_map::QueryMap;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, State};
use axum::response::Response;
use base64::Engine;
use http::{HeaderMap, HeaderValue, Method, Request, StatusCode};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// API Gateway refuses payloads over 10 MB; the functions refuse far less, so read no more.
const MAX_REQUEST_BYTES: usize = 1024 * 1024;

pub struct Gateway<I> {
    /// Routes with the function that serves each, most specific first.
    routes: Vec<(Route, String)>,
    invoker: I,
    trusted_proxies: TrustedProxies,
}

/// What a proxy says about the request it passes on (the functions read `X-Forwarded-Proto` for
/// the session cookie's `Secure`): believed only from a trusted proxy.
const PROXY_HEADERS: [&str; 5] = [
    "forwarded",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-port",
    "x-forwarded-proto",
];

impl<I: Invoke + Clone> Gateway<I> {
    pub fn new(routes: Vec<(Route, String)>, invoker: I) -> Gateway<I> {
        let mut routes = routes;
        // API Gateway prefers the route with more literal segments.
        routes
            .sort_by_key(|(route, _)| std::cmp::Reverse(route.path.split('/').filter(|s| !s.starts_with('{')).count()));
        Gateway {
            routes,
            invoker,
            trusted_proxies: TrustedProxies::default(),
        }
    }

    /// Believes these proxies' `X-Forwarded-For` for the client's address (none by default).
    pub fn trusting(self, trusted_proxies: TrustedProxies) -> Gateway<I> {
        Gateway {
            trusted_proxies,
            ..self
        }
    }

    /// Every route; any other request gets a 404 in the project's error shape.
    pub fn router(self) -> Router {
        Router::new().fallback(dispatch::<I>).with_state(Arc::new(self))
    }

    /// The route and path parameters for a request, if any route takes it.
    fn find(&self, method: &Method, path: &str) -> Option<(&Route, &str, HashMap<String, String>)> {
        self.routes.iter().find_map(|(route, function)| {
            if route.method != *method {
                return None;
            }
            match_path(&route.path, path).map(|parameters| (route, function.as_str(), parameters))
        })
    }
}

/// Matches `/order/{orderId}` against `/order/abc`, returning `{orderId: abc}`.
fn match_path(template: &str, path: &str) -> Option<HashMap<String, String>> {
    let mut parameters = HashMap::new();
    let mut template_segments = template.trim_matches('/').split('/');
    let mut path_segments = path.trim_matches('/').split('/');
    loop {
        match (template_segments.next(), path_segments.next()) {
            (None, None) => return Some(parameters),
            (Some(expected), Some(actual)) => {
                if let Some(name) = expected.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    if actual.is_empty() {
                        return None;
                    }
                    parameters.insert(name.to_owned(), percent_decode(actual));
                } else if expected != actual {
                    return None;
                }
            }
            _ => return None,
        }
    }
}

fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

async fn dispatch<I: Invoke + Clone>(
    State(gateway): State<Arc<Gateway<I>>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request<Body>,
) -> Response {
    let (mut parts, body) = request.into_parts();
    let path = parts.uri.path().to_owned();
    let Some((route, function, parameters)) = gateway.find(&parts.method, &path) else {
        return error(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no route {} {path}", parts.method),
        );
    };
    let body = match axum::body::to_bytes(body, MAX_REQUEST_BYTES).await {
        Ok(body) => body,
        Err(_) => {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                "the request body is too large",
            );
        }
    };
    let client = gateway.trusted_proxies.client_address(peer.ip(), &parts.headers);
    if !gateway.trusted_proxies.trusts(peer.ip()) {
        for name in PROXY_HEADERS {
            parts.headers.remove(name);
        }
    }
    let event = lambda_request(route, &parts, &path, parameters, body, client);
    match gateway.invoker.http(function, event).await {
        Ok(response) => http_response(response),
        Err(failure) => {
            tracing::error!(function, error = %failure, "function failed");
            // What API Gateway answers when the integration fails.
            error(StatusCode::INTERNAL_SERVER_ERROR, "internal", "Internal Server Error")
        }
    }
}

fn lambda_request(
    route: &Route,
    parts: &http::request::Parts,
    path: &str,
    path_parameters: HashMap<String, String>,
    body: Bytes,
    client: IpAddr,
) -> ApiGatewayV2httpRequest {
    let query = parts.uri.query().unwrap_or_default().to_owned();
    let mut query_parameters: HashMap<String, Vec<String>> = HashMap::new();
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        query_parameters
            .entry(name.into_owned())
            .or_default()
            .push(value.into_owned());
    }
    let header = |name: http::HeaderName| parts.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let now = cakeshop_sqlite::now_millis();
    let mut request = ApiGatewayV2httpRequest::default();
    request.version = Some("2.0".into());
    request.route_key = Some(route.route_key());
    request.raw_path = Some(path.to_owned());
    request.raw_query_string = Some(query);
    request.headers = parts.headers.clone();
    request.cookies = header(http::header::COOKIE).map(|c| c.split("; ").map(str::to_owned).collect());
    request.query_string_parameters = QueryMap::from(query_parameters);
    request.path_parameters = path_parameters;
    let context = &mut request.request_context;
    context.route_key = Some(route.route_key());
    context.account_id = Some(ACCOUNT.into());
    context.apiid = Some("local".into());
    context.stage = Some("$default".into());
    context.request_id = Some(uuid::Uuid::new_v4().to_string());
    context.domain_name = header(http::header::HOST);
    context.time_epoch = now;
    context.time = cakeshop_domain::Timestamp::from_unix_millis(now).map(|t| t.to_string());
    context.http.method = parts.method.clone();
    context.http.path = Some(path.to_owned());
    context.http.protocol = Some(format!("{:?}", parts.version));
    context.http.source_ip = Some(client.to_string());
    context.http.user_agent = header(http::header::USER_AGENT);
    if !body.is_empty() {
        match std::str::from_utf8(&body) {
            Ok(text) => request.body = Some(text.to_owned()),
            Err(_) => {
                request.body = Some(base64::engine::general_purpose::STANDARD.encode(&body));
                request.is_base64_encoded = true;
            }
        }
    }
    request
}

fn http_response(response: ApiGatewayV2httpResponse) -> Response {
    let status = u16::try_from(response.status_code)
        .ok()
        .and_then(|code| StatusCode::from_u16(code).ok())
        .unwrap_or(StatusCode::BAD_GATEWAY);
    let body = match response.body {
        Some(LambdaBody::Text(text)) => Body::from(text),
        Some(LambdaBody::Binary(bytes)) => Body::from(bytes),
        _ => Body::empty(),
    };
    let mut answer = Response::new(body);
    *answer.status_mut() = status;
    let headers: &mut HeaderMap = answer.headers_mut();
    for (name, value) in response.headers.iter().chain(response.multi_value_headers.iter()) {
        headers.append(name.clone(), value.clone());
    }
    for cookie in response.cookies {
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            headers.append(http::header::SET_COOKIE, value);
        }
    }
    answer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_templates_and_decodes_parameters() {
        assert_eq!(
            match_path("/order/{orderId}", "/order/a%2Fb"),
            Some(HashMap::from([("orderId".into(), "a/b".into())]))
        );
        assert_eq!(match_path("/order/{orderId}", "/order/"), None);
        assert_eq!(match_path("/order/{orderId}", "/order/a/b"), None);
        assert_eq!(match_path("/products", "/products"), Some(HashMap::new()));
        assert_eq!(match_path("/products", "/product"), None);
    }
}
