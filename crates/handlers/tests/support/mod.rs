//! A whole shop of handlers wired to in-memory ports, and helpers to drive it.
#![allow(dead_code)]

pub mod envelopes;
pub mod fakes;
pub mod fixtures;

use aws_lambda_events::apigw::ApiGatewayV2httpResponse;
use aws_lambda_events::encodings::Body;
use cakeshop_domain::{ClientLimits, ShopZone};
use cakeshop_handlers::functions::{
    CancelOrderFunction, ConfirmDeliveryFunction, ForwardFeedbackFunction, FulfillOrderFunction, Function,
    ManageShopFunction, NotifyBakerFunction, NotifyCustomerFunction, NotifyDeliveryFunction, OrderQueriesFunction,
    PlaceOrderFunction, Ports, RelayEventsFunction, RequestDeliveryFunction,
};
use cakeshop_ports::config::{
    BAKER_API_KEY, BAKER_EMAIL as BAKER_EMAIL_VARIABLE, CLIENT_LIMITS, CUSTOMER_SERVICE_API_URL, DELIVERY_API_URL,
    DELIVERY_QUEUE_URL, FEEDBACK_QUEUE_URL, PUBLIC_BASE_URL as PUBLIC_BASE_URL_VARIABLE, RELAY_AFTER_SECONDS,
    SENDER_EMAIL as SENDER_EMAIL_VARIABLE, SHOP_TIME_ZONE as SHOP_TIME_ZONE_VARIABLE,
    SIGNING_SECRET as SIGNING_SECRET_VARIABLE, STAGE,
};
use cakeshop_ports::{Clock, IdGenerator, Metrics, Variable};
use fakes::{
    FixedIds, MemoryOrders, RecordingMailer, RecordingMetrics, RecordingPartner, RecordingQueue, RecordingStream,
    TestClock,
};
use serde_json::Value;
use std::sync::Arc;

pub const SIGNING_SECRET: &str = "test-signing-secret";
pub const BAKER_KEY: &str = "test-baker-key";
pub const PUBLIC_BASE_URL: &str = "https://cakes.example.com";
pub const BAKER_EMAIL: &str = "baker@cakeshop.example";
pub const SENDER_EMAIL: &str = "orders@cakeshop.example";
/// The test shop's zone: in November, UTC+0, so the test clock's times are the shop's too.
pub const SHOP_TIME_ZONE: &str = "Europe/London";

/// How old an outbox mark must be before the test shop's relay takes it as orphaned.
pub const RELAY_AFTER_SECONDS_VALUE: i64 = 10;

/// The in-memory ports every handler of the test shop is built on, by its declaration.
#[derive(Clone)]
pub struct TestPorts {
    pub orders: MemoryOrders,
    pub stream: RecordingStream,
    pub delivery_queue: RecordingQueue,
    pub feedback_queue: RecordingQueue,
    pub mailer: RecordingMailer,
    pub delivery_company: RecordingPartner,
    pub customer_service: RecordingPartner,
    pub metrics: RecordingMetrics,
    pub clock: TestClock,
    pub ids: Arc<FixedIds>,
    /// Off unless a test is about them (`Shop::with_limits`).
    pub limits: ClientLimits,
}

#[derive(Debug, thiserror::Error)]
#[error("the test shop has no value for {0}")]
pub struct NoTestValue(&'static str);

impl Ports for TestPorts {
    type Orders = MemoryOrders;
    type Events = RecordingStream;
    type Queue = RecordingQueue;
    type Mailer = RecordingMailer;
    type Partner = RecordingPartner;
    type Error = NoTestValue;

    fn orders_at(&self, _: Variable) -> Result<MemoryOrders, NoTestValue> {
        Ok(self.orders.clone())
    }
    fn events_at(&self, _: Variable) -> Result<RecordingStream, NoTestValue> {
        Ok(self.stream.clone())
    }
    fn queue(&self, url: Variable) -> Result<RecordingQueue, NoTestValue> {
        match url {
            DELIVERY_QUEUE_URL => Ok(self.delivery_queue.clone()),
            FEEDBACK_QUEUE_URL => Ok(self.feedback_queue.clone()),
            other => Err(NoTestValue(other.name)),
        }
    }
    fn mailer(&self) -> Result<RecordingMailer, NoTestValue> {
        Ok(self.mailer.clone())
    }
    fn partner(&self, url: Variable) -> Result<RecordingPartner, NoTestValue> {
        match url {
            DELIVERY_API_URL => Ok(self.delivery_company.clone()),
            CUSTOMER_SERVICE_API_URL => Ok(self.customer_service.clone()),
            other => Err(NoTestValue(other.name)),
        }
    }
    fn text(&self, variable: Variable) -> Result<String, NoTestValue> {
        Ok(match variable {
            SIGNING_SECRET_VARIABLE => SIGNING_SECRET,
            BAKER_API_KEY => BAKER_KEY,
            PUBLIC_BASE_URL_VARIABLE => PUBLIC_BASE_URL,
            BAKER_EMAIL_VARIABLE => BAKER_EMAIL,
            SENDER_EMAIL_VARIABLE => SENDER_EMAIL,
            other => return Err(NoTestValue(other.name)),
        }
        .to_owned())
    }
    fn seconds(&self, variable: Variable) -> Result<i64, NoTestValue> {
        match variable {
            RELAY_AFTER_SECONDS => Ok(RELAY_AFTER_SECONDS_VALUE),
            other => Err(NoTestValue(other.name)),
        }
    }
    fn zone(&self, variable: Variable) -> Result<ShopZone, NoTestValue> {
        match variable {
            SHOP_TIME_ZONE_VARIABLE => ShopZone::parse(SHOP_TIME_ZONE).map_err(|_| NoTestValue(variable.name)),
            other => Err(NoTestValue(other.name)),
        }
    }
    fn limits(&self, variable: Variable) -> Result<ClientLimits, NoTestValue> {
        match variable {
            CLIENT_LIMITS => Ok(self.limits.clone()),
            other => Err(NoTestValue(other.name)),
        }
    }
    fn metrics(&self, stage: Variable) -> Result<Arc<dyn Metrics>, NoTestValue> {
        match stage {
            STAGE => Ok(Arc::new(self.metrics.clone())),
            other => Err(NoTestValue(other.name)),
        }
    }
    fn clock(&self) -> Arc<dyn Clock> {
        Arc::new(self.clock.clone())
    }
    fn ids(&self) -> Arc<dyn IdGenerator> {
        self.ids.clone()
    }
}

impl std::ops::Deref for Shop {
    type Target = TestPorts;

    fn deref(&self) -> &TestPorts {
        &self.ports
    }
}

/// A handler of the test shop, as its declaration builds it.
pub type Handler<F> = <F as Function>::Handler<TestPorts>;

/// Every handler built on one set of in-memory ports; the ports are reached through the shop
/// (`shop.orders`, `shop.mailer`, …).
pub struct Shop {
    pub ports: TestPorts,
    pub place_order: Handler<PlaceOrderFunction>,
    pub notify_baker: Handler<NotifyBakerFunction>,
    pub notify_customer: Handler<NotifyCustomerFunction>,
    pub fulfill_order: Handler<FulfillOrderFunction>,
    pub request_delivery: Handler<RequestDeliveryFunction>,
    pub notify_delivery: Handler<NotifyDeliveryFunction>,
    pub confirm_delivery: Handler<ConfirmDeliveryFunction>,
    pub forward_feedback: Handler<ForwardFeedbackFunction>,
    pub cancel_order: Handler<CancelOrderFunction>,
    pub order_queries: Handler<OrderQueriesFunction>,
    pub manage_shop: Handler<ManageShopFunction>,
    pub relay_events: Handler<RelayEventsFunction>,
}

impl Shop {
    /// A shop whose clock reads `start` and whose new orders get `ids` in turn.
    pub fn new(start: &str, ids: &[&'static str]) -> Shop {
        Shop::with_limits(start, ids, ClientLimits::off())
    }

    /// The same, keeping to `limits`.
    pub fn with_limits(start: &str, ids: &[&'static str], limits: ClientLimits) -> Shop {
        let ports = TestPorts {
            orders: MemoryOrders::default(),
            stream: RecordingStream::default(),
            delivery_queue: RecordingQueue::default(),
            feedback_queue: RecordingQueue::default(),
            mailer: RecordingMailer::default(),
            delivery_company: RecordingPartner::default(),
            customer_service: RecordingPartner::default(),
            metrics: RecordingMetrics::default(),
            clock: TestClock::at(start),
            ids: Arc::new(FixedIds::new(ids)),
            limits,
        };
        fn build<F: Function>(ports: &TestPorts) -> Handler<F> {
            match F::build(ports) {
                Ok(handler) => handler,
                Err(error) => panic!("{} cannot be built on the test ports: {error}", F::NAME),
            }
        }
        Shop {
            place_order: build::<PlaceOrderFunction>(&ports),
            notify_baker: build::<NotifyBakerFunction>(&ports),
            notify_customer: build::<NotifyCustomerFunction>(&ports),
            fulfill_order: build::<FulfillOrderFunction>(&ports),
            request_delivery: build::<RequestDeliveryFunction>(&ports),
            notify_delivery: build::<NotifyDeliveryFunction>(&ports),
            confirm_delivery: build::<ConfirmDeliveryFunction>(&ports),
            forward_feedback: build::<ForwardFeedbackFunction>(&ports),
            cancel_order: build::<CancelOrderFunction>(&ports),
            order_queries: build::<OrderQueriesFunction>(&ports),
            manage_shop: build::<ManageShopFunction>(&ports),
            relay_events: build::<RelayEventsFunction>(&ports),
            ports,
        }
    }

    /// Everything a request could have written or sent, to compare before and after one.
    pub fn written(&self) -> Written {
        let mut unpublished: Vec<(String, &'static str)> = self
            .orders
            .unpublished()
            .into_iter()
            .map(|(order_id, kind)| (order_id.to_string(), kind.as_str()))
            .collect();
        unpublished.sort();
        Written {
            orders: self.orders.snapshot(),
            booked: self.orders.booked_days(),
            versions: self.orders.versions(),
            unpublished,
            events: self.stream.events.lock().map(|e| e.len()).unwrap_or(usize::MAX),
            emails: self.mailer.sent.lock().map(|s| s.len()).unwrap_or(usize::MAX),
            delivery_requests: self
                .delivery_queue
                .messages
                .lock()
                .map(|b| b.len())
                .unwrap_or(usize::MAX),
        }
    }

    pub fn nothing_sent(&self) -> bool {
        self.stream.events.lock().map(|e| e.is_empty()).unwrap_or(false)
            && self
                .delivery_queue
                .messages
                .lock()
                .map(|b| b.is_empty())
                .unwrap_or(false)
            && self
                .feedback_queue
                .messages
                .lock()
                .map(|b| b.is_empty())
                .unwrap_or(false)
            && self.mailer.sent.lock().map(|s| s.is_empty()).unwrap_or(false)
            && self.delivery_company.calls().is_empty()
            && self.customer_service.calls().is_empty()
    }
}

/// What `Shop::written` reads: the orders, booked counts, setting versions and outbox marks
/// stored, and how many events, emails and delivery requests went out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub orders: std::collections::HashMap<cakeshop_domain::OrderId, cakeshop_domain::Order>,
    pub booked: std::collections::HashMap<cakeshop_domain::Day, u32>,
    pub versions: (u64, u64, u64),
    pub unpublished: Vec<(String, &'static str)>,
    pub events: usize,
    pub emails: usize,
    pub delivery_requests: usize,
}

/// A day of the test calendar.
pub fn day(text: &str) -> cakeshop_domain::Day {
    match cakeshop_domain::Day::parse(text) {
        Ok(day) => day,
        Err(error) => panic!("{error}"),
    }
}

/// The response's status and its body parsed as JSON (or as a string for non-JSON bodies).
pub fn status_and_json(response: &ApiGatewayV2httpResponse) -> (i64, Value) {
    let text = body_text(response);
    let json = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (response.status_code, json)
}

pub fn body_text(response: &ApiGatewayV2httpResponse) -> String {
    match &response.body {
        Some(Body::Text(text)) => text.clone(),
        Some(Body::Binary(bytes)) => String::from_utf8_lossy(bytes).into_owned(),
        _ => String::new(),
    }
}

pub fn header<'a>(response: &'a ApiGatewayV2httpResponse, name: &str) -> &'a str {
    response
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

/// The sequence numbers a Kinesis handler reported as failed.
pub fn failed_sequence_numbers(response: &aws_lambda_events::event::streams::KinesisEventResponse) -> Vec<String> {
    response
        .batch_item_failures
        .iter()
        .filter_map(|f| f.item_identifier.clone())
        .collect()
}

pub fn failed_message_ids(response: &aws_lambda_events::event::sqs::SqsBatchResponse) -> Vec<String> {
    response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect()
}

pub const SAMPLE_ORDER: &str =
    r#"{"name":"Ada Lovelace","address":"12 Analytical Street, London N1 9GU","productId":1,"quantity":1}"#;

impl Shop {
    /// Places an order with `body`; returns the response status and JSON.
    pub async fn place(&self, body: &str) -> (i64, Value) {
        let request = envelopes::http_request("POST", "/order", "/order", serde_json::json!({}), Some(body));
        status_and_json(&self.place_order.handle(envelopes::as_http(&request)).await)
    }

    /// Places an order with `body` and an `Idempotency-Key` header.
    pub async fn place_with_key(&self, body: &str, key: &str) -> (i64, Value) {
        let headers = serde_json::json!({ "content-type": "application/json", "idempotency-key": key });
        let request = envelopes::http_request("POST", "/order", "/order", headers, Some(body));
        status_and_json(&self.place_order.handle(envelopes::as_http(&request)).await)
    }

    /// Places the sample order and returns its id and customer token.
    pub async fn place_sample(&self) -> (String, String) {
        let (status, placed) = self.place(SAMPLE_ORDER).await;
        assert_eq!(status, 201, "{placed}");
        let text = |field: &str| placed[field].as_str().unwrap_or_default().to_owned();
        (text("orderId"), text("customerToken"))
    }

    /// `POST /order/fulfilled` with `{"orderId"}` and this bearer token, if any.
    pub async fn fulfil(&self, order_id: &str, bearer: Option<&str>) -> (i64, Value) {
        let request = json_post(
            "/order/fulfilled",
            bearer,
            &serde_json::json!({ "orderId": order_id }).to_string(),
        );
        status_and_json(&self.fulfill_order.handle(envelopes::as_http(&request)).await)
    }

    /// `POST /order/delivered` with this body and bearer token, if any.
    pub async fn confirm(&self, body: &str, bearer: Option<&str>) -> (i64, Value) {
        let request = json_post("/order/delivered", bearer, body);
        status_and_json(&self.confirm_delivery.handle(envelopes::as_http(&request)).await)
    }

    /// `GET /order/{orderId}` with this bearer token, if any.
    pub async fn read(&self, order_id: &str, bearer: Option<&str>) -> (i64, Value) {
        let headers = bearer.map(|t| serde_json::json!({ "authorization": format!("Bearer {t}") }));
        let path = format!("/order/{order_id}");
        let mut request = envelopes::http_request("GET", "/order/{orderId}", &path, headers.unwrap_or_default(), None);
        request["pathParameters"] = serde_json::json!({ "orderId": order_id });
        status_and_json(&self.order_queries.handle(envelopes::as_http(&request)).await)
    }

    /// `POST /order/cancelled` with `{"orderId", "reason"?}` and this bearer token, if any.
    pub async fn cancel(&self, order_id: &str, reason: Option<&str>, bearer: Option<&str>) -> (i64, Value) {
        let mut body = serde_json::json!({ "orderId": order_id });
        if let Some(reason) = reason {
            body["reason"] = Value::String(reason.to_owned());
        }
        let request = json_post("/order/cancelled", bearer, &body.to_string());
        status_and_json(&self.cancel_order.handle(envelopes::as_http(&request)).await)
    }

    /// A request to manage-shop: `method` on the route `route` (e.g. `/products/{productId}`)
    /// at `path`, with this bearer token and body, if any.
    pub async fn manage(
        &self,
        method: &str,
        route: &str,
        path: &str,
        bearer: Option<&str>,
        body: Option<&str>,
    ) -> (i64, Value) {
        let mut headers = serde_json::json!({ "content-type": "application/json" });
        if let Some(token) = bearer {
            headers["authorization"] = Value::String(format!("Bearer {token}"));
        }
        let mut request = envelopes::http_request(method, route, path, headers, body);
        if let Some(product_id) = route.contains("{productId}").then(|| path.rsplit('/').next()).flatten() {
            request["pathParameters"] = serde_json::json!({ "productId": product_id });
        }
        status_and_json(&self.manage_shop.handle(envelopes::as_http(&request)).await)
    }

    /// A baker's request to manage-shop on a route without path parameters.
    pub async fn as_baker(&self, method: &str, path: &str, body: &serde_json::Value) -> (i64, Value) {
        self.manage(method, path, path, Some(BAKER_KEY), Some(&body.to_string()))
            .await
    }

    /// `GET /availability` with this query string (`from=…&days=…`, or empty).
    pub async fn availability(&self, query: &str) -> (i64, Value) {
        let mut request = envelopes::http_request("GET", "/availability", "/availability", serde_json::json!({}), None);
        request["rawQueryString"] = Value::String(query.to_owned());
        let pairs: serde_json::Map<String, Value> = form_urlencoded::parse(query.as_bytes())
            .map(|(name, value)| (name.into_owned(), Value::String(value.into_owned())))
            .collect();
        request["queryStringParameters"] = Value::Object(pairs);
        status_and_json(&self.manage_shop.handle(envelopes::as_http(&request)).await)
    }

    /// Runs the stream consumers on everything published so far, as Kinesis would.
    pub async fn drain_stream(&self) {
        let events = self.stream.taken();
        let batch = envelopes::as_kinesis(&envelopes::kinesis_event(&events, 100, 0));
        let placed = self.notify_baker.handle(batch.clone()).await;
        let customer = self.notify_customer.handle(batch.clone()).await;
        let fulfilled = self.request_delivery.handle(batch).await;
        assert!(placed.batch_item_failures.is_empty() && fulfilled.batch_item_failures.is_empty());
        assert!(customer.batch_item_failures.is_empty());
    }

    /// Places the sample order and moves it to out_for_delivery; returns id and token.
    pub async fn order_out_for_delivery(&self) -> (String, String) {
        let (order_id, token) = self.place_sample().await;
        assert_eq!(self.fulfil(&order_id, Some(BAKER_KEY)).await.0, 200);
        self.drain_stream().await;
        (order_id, token)
    }
}

pub fn json_post(path: &str, bearer: Option<&str>, body: &str) -> Value {
    let mut headers = serde_json::json!({ "content-type": "application/json" });
    if let Some(token) = bearer {
        headers["authorization"] = Value::String(format!("Bearer {token}"));
    }
    envelopes::http_request("POST", path, path, headers, Some(body))
}

/// Asserts the project's error shape and returns the code.
pub fn error_code(body: &Value) -> &str {
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(!message.is_empty(), "an error carries a message: {body}");
    body["error"]["code"].as_str().unwrap_or_default()
}
