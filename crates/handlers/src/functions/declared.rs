//! The shop's functions, one declaration each: the name `serverless.yml` gives it, its event and
//! response, and its handler built from the ports it needs. Adding a function is a handler
//! module, a declaration here (and its line in `visit_all`), and its entry in `serverless.yml`.

use super::{Function, Ports};
use crate::{
    BakerKey, BakerMail, CancelOrder, ConfirmDelivery, CustomerMail, ForwardFeedback, FulfillOrder, ManageShop,
    NotifyBaker, NotifyCustomer, NotifyDelivery, OrderQueries, PlaceOrder, RelayError, RelayEvents, RelayReport,
    RequestDelivery, Signer,
};
use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_lambda_events::event::kinesis::KinesisEvent;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use aws_lambda_events::event::streams::KinesisEventResponse;
use aws_lambda_events::eventbridge::EventBridgeEvent;
use cakeshop_ports::config::{
    BAKER_API_KEY, BAKER_EMAIL, CUSTOMER_SERVICE_API_URL, DELIVERY_API_URL, DELIVERY_QUEUE_URL, FEEDBACK_QUEUE_URL,
    PUBLIC_BASE_URL, RELAY_AFTER_SECONDS, SENDER_EMAIL, SHOP_TIME_ZONE, SIGNING_SECRET, STAGE,
};
use std::convert::Infallible;

fn signer<P: Ports>(ports: &P) -> Result<Signer, P::Error> {
    Ok(Signer::new(ports.text(SIGNING_SECRET)?))
}

fn baker_key<P: Ports>(ports: &P) -> Result<BakerKey, P::Error> {
    Ok(BakerKey::new(&ports.text(BAKER_API_KEY)?))
}

/// `POST /order`: the customer places an order, as JSON or from the storefront's form.
pub struct PlaceOrderFunction;

impl Function for PlaceOrderFunction {
    const NAME: &'static str = "place-order";
    const SUMMARY: &'static str =
        "POST /order: the order takes its cakes from its day's capacity; order_placed on the stream";
    const READS_SECRETS: bool = true;
    type Event = ApiGatewayV2httpRequest;
    type Response = ApiGatewayV2httpResponse;
    type Error = Infallible;
    type Handler<P: Ports> = PlaceOrder<P::Orders, P::Events>;

    fn build<P: Ports>(ports: &P) -> Result<Self::Handler<P>, P::Error> {
        Ok(PlaceOrder::new(
            ports.orders()?,
            ports.events()?,
            signer(ports)?,
            ports.zone(SHOP_TIME_ZONE)?,
            ports.clock(),
            ports.ids(),
            ports.metrics(STAGE)?,
        ))
    }

    async fn handle<P: Ports>(handler: &Self::Handler<P>, event: Self::Event) -> Result<Self::Response, Infallible> {
        Ok(handler.handle(event).await)
    }
}

/// Kinesis `order_placed` → an email to the baker with a signed "cake is ready" link;
/// `order_cancelled` by the customer → an email saying there is nothing to bake.
pub struct NotifyBakerFunction;

impl Function for NotifyBakerFunction {
    const NAME: &'static str = "notify-baker";
    const SUMMARY: &'static str =
        "order_placed → an email to the baker with a signed link; order_cancelled by the customer → an email";
    const READS_SECRETS: bool = true;
    type Event = KinesisEvent;
    type Response = KinesisEventResponse;
    type Error = Infallible;
    type Handler<P: Ports> = NotifyBaker<P::Orders, P::Mailer>;

    fn build<P: Ports>(ports: &P) -> Result<Self::Handler<P>, P::Error> {
        let (orders, mailer, signer) = (ports.orders()?, ports.mailer()?, signer(ports)?);
        let mail = BakerMail {
            from: ports.text(SENDER_EMAIL)?,
            to: ports.text(BAKER_EMAIL)?,
            public_base_url: ports.text(PUBLIC_BASE_URL)?,
        };
        Ok(NotifyBaker::new(
            orders,
            mailer,
            signer,
            mail,
            ports.clock(),
            ports.metrics(STAGE)?,
        ))
    }

    async fn handle<P: Ports>(handler: &Self::Handler<P>, event: Self::Event) -> Result<Self::Response, Infallible> {
        Ok(handler.handle(event).await)
    }
}

/// Kinesis `order_placed`, `order_fulfilled`, `order_cancelled` → an email to the customer
/// who gave an address: the confirmation with the tracking link, "on its way", the cancellation.
pub struct NotifyCustomerFunction;

impl Function for NotifyCustomerFunction {
    const NAME: &'static str = "notify-customer";
    const SUMMARY: &'static str =
        "order_placed, order_fulfilled, order_cancelled → an email to the customer with their tracking link";
    const READS_SECRETS: bool = true;
    type Event = KinesisEvent;
    type Response = KinesisEventResponse;
    type Error = Infallible;
    type Handler<P: Ports> = NotifyCustomer<P::Orders, P::Mailer>;

    fn build<P: Ports>(ports: &P) -> Result<Self::Handler<P>, P::Error> {
        let (orders, mailer, signer) = (ports.orders()?, ports.mailer()?, signer(ports)?);
        let mail = CustomerMail {
            from: ports.text(SENDER_EMAIL)?,
            public_base_url: ports.text(PUBLIC_BASE_URL)?,
        };
        Ok(NotifyCustomer::new(orders, mailer, signer, mail, ports.clock()))
    }

    async fn handle<P: Ports>(handler: &Self::Handler<P>, event: Self::Event) -> Result<Self::Response, Infallible> {
        Ok(handler.handle(event).await)
    }
}

/// `GET|POST /order/fulfilled`: the baker marks a cake as ready.
pub struct FulfillOrderFunction;

impl Function for FulfillOrderFunction {
    const NAME: &'static str = "fulfill-order";
    const SUMMARY: &'static str = "GET|POST /order/fulfilled: the baker marks a cake ready; order_fulfilled";
    const READS_SECRETS: bool = true;
    type Event = ApiGatewayV2httpRequest;
    type Response = ApiGatewayV2httpResponse;
    type Error = Infallible;
    type Handler<P: Ports> = FulfillOrder<P::Orders, P::Events>;

    fn build<P: Ports>(ports: &P) -> Result<Self::Handler<P>, P::Error> {
        Ok(FulfillOrder::new(
            ports.orders()?,
            ports.events()?,
            signer(ports)?,
            baker_key(ports)?,
            ports.text(PUBLIC_BASE_URL)?,
            ports.clock(),
            ports.metrics(STAGE)?,
        ))
    }

    async fn handle<P: Ports>(handler: &Self::Handler<P>, event: Self::Event) -> Result<Self::Response, Infallible> {
        Ok(handler.handle(event).await)
    }
}

/// Kinesis `order_fulfilled` → the order goes out for delivery; a request joins the queue.
pub struct RequestDeliveryFunction;

impl Function for RequestDeliveryFunction {
    const NAME: &'static str = "request-delivery";
    const SUMMARY: &'static str = "order_fulfilled → out for delivery; a request on the delivery queue";
    const READS_SECRETS: bool = false;
    type Event = KinesisEvent;
    type Response = KinesisEventResponse;
    type Error = Infallible;
    type Handler<P: Ports> = RequestDelivery<P::Orders, P::Queue>;

    fn build<P: Ports>(ports: &P) -> Result<Self::Handler<P>, P::Error> {
        Ok(RequestDelivery::new(
            ports.orders()?,
            ports.queue(DELIVERY_QUEUE_URL)?,
            ports.clock(),
        ))
    }

    async fn handle<P: Ports>(handler: &Self::Handler<P>, event: Self::Event) -> Result<Self::Response, Infallible> {
        Ok(handler.handle(event).await)
    }
}

/// SQS delivery queue → the delivery company's HTTP API.
pub struct NotifyDeliveryFunction;

impl Function for NotifyDeliveryFunction {
    const NAME: &'static str = "notify-delivery";
    const SUMMARY: &'static str = "delivery queue → the delivery company's API";
    const READS_SECRETS: bool = false;
    type Event = SqsEvent;
    type Response = SqsBatchResponse;
    type Error = Infallible;
    type Handler<P: Ports> = NotifyDelivery<P::Orders, P::Partner>;

    fn build<P: Ports>(ports: &P) -> Result<Self::Handler<P>, P::Error> {
        Ok(NotifyDelivery::new(
            ports.orders()?,
            ports.partner(DELIVERY_API_URL)?,
            ports.clock(),
            ports.metrics(STAGE)?,
        ))
    }

    async fn handle<P: Ports>(handler: &Self::Handler<P>, event: Self::Event) -> Result<Self::Response, Infallible> {
        Ok(handler.handle(event).await)
    }
}

/// `POST /order/delivered`: the customer confirms delivery; feedback joins the queue.
pub struct ConfirmDeliveryFunction;

impl Function for ConfirmDeliveryFunction {
    const NAME: &'static str = "confirm-delivery";
    const SUMMARY: &'static str = "POST /order/delivered: the customer confirms; feedback on its queue";
    const READS_SECRETS: bool = true;
    type Event = ApiGatewayV2httpRequest;
    type Response = ApiGatewayV2httpResponse;
    type Error = Infallible;
    type Handler<P: Ports> = ConfirmDelivery<P::Orders, P::Queue>;

    fn build<P: Ports>(ports: &P) -> Result<Self::Handler<P>, P::Error> {
        Ok(ConfirmDelivery::new(
            ports.orders()?,
            ports.queue(FEEDBACK_QUEUE_URL)?,
            signer(ports)?,
            ports.clock(),
        ))
    }

    async fn handle<P: Ports>(handler: &Self::Handler<P>, event: Self::Event) -> Result<Self::Response, Infallible> {
        Ok(handler.handle(event).await)
    }
}

/// SQS feedback queue → customer service's HTTP API.
pub struct ForwardFeedbackFunction;

impl Function for ForwardFeedbackFunction {
    const NAME: &'static str = "forward-feedback";
    const SUMMARY: &'static str = "feedback queue → customer service's API";
    const READS_SECRETS: bool = false;
    type Event = SqsEvent;
    type Response = SqsBatchResponse;
    type Error = Infallible;
    type Handler<P: Ports> = ForwardFeedback<P::Orders, P::Partner>;

    fn build<P: Ports>(ports: &P) -> Result<Self::Handler<P>, P::Error> {
        Ok(ForwardFeedback::new(
            ports.orders()?,
            ports.partner(CUSTOMER_SERVICE_API_URL)?,
            ports.clock(),
            ports.metrics(STAGE)?,
        ))
    }

    async fn handle<P: Ports>(handler: &Self::Handler<P>, event: Self::Event) -> Result<Self::Response, Infallible> {
        Ok(handler.handle(event).await)
    }
}

/// `POST /order/cancelled`: the customer cancels, or the baker declines, a placed order.
pub struct CancelOrderFunction;

impl Function for CancelOrderFunction {
    const NAME: &'static str = "cancel-order";
    const SUMMARY: &'static str =
        "POST /order/cancelled: the customer cancels or the baker declines a placed order; order_cancelled";
    const READS_SECRETS: bool = true;
    type Event = ApiGatewayV2httpRequest;
    type Response = ApiGatewayV2httpResponse;
    type Error = Infallible;
    type Handler<P: Ports> = CancelOrder<P::Orders, P::Events>;

    fn build<P: Ports>(ports: &P) -> Result<Self::Handler<P>, P::Error> {
        Ok(CancelOrder::new(
            ports.orders()?,
            ports.events()?,
            signer(ports)?,
            baker_key(ports)?,
            ports.clock(),
            ports.metrics(STAGE)?,
        ))
    }

    async fn handle<P: Ports>(handler: &Self::Handler<P>, event: Self::Event) -> Result<Self::Response, Infallible> {
        Ok(handler.handle(event).await)
    }
}

/// `GET /order/{orderId}`, `GET /orders`, the tracking page `GET /track/{orderId}` and the
/// baker's board, `GET /baker` with its sign-in.
pub struct OrderQueriesFunction;

impl Function for OrderQueriesFunction {
    const NAME: &'static str = "order-queries";
    const SUMMARY: &'static str =
        "GET /order/{orderId}, GET /orders (baker), GET /track/{orderId} (tracking page), GET /baker (the board)";
    const READS_SECRETS: bool = true;
    type Event = ApiGatewayV2httpRequest;
    type Response = ApiGatewayV2httpResponse;
    type Error = Infallible;
    type Handler<P: Ports> = OrderQueries<P::Orders>;

    fn build<P: Ports>(ports: &P) -> Result<Self::Handler<P>, P::Error> {
        Ok(OrderQueries::new(
            ports.orders()?,
            signer(ports)?,
            baker_key(ports)?,
            ports.zone(SHOP_TIME_ZONE)?,
            ports.clock(),
        ))
    }

    async fn handle<P: Ports>(handler: &Self::Handler<P>, event: Self::Event) -> Result<Self::Response, Infallible> {
        Ok(handler.handle(event).await)
    }
}

/// The shop's settings: `GET|POST /products`, `PUT /products/{productId}`, `GET /availability`,
/// `PUT /capacity`, `GET|PUT /shop`, the board's settings forms (`POST /baker/…`); and the
/// storefront, `GET /`.
pub struct ManageShopFunction;

impl Function for ManageShopFunction {
    const NAME: &'static str = "manage-shop";
    const SUMMARY: &'static str = "GET /, GET|POST /products, PUT /products/{productId}, GET /availability, PUT /capacity, GET|PUT /shop, \
         POST /baker/shop|capacity|products/{productId} (the board)";
    const READS_SECRETS: bool = true;
    type Event = ApiGatewayV2httpRequest;
    type Response = ApiGatewayV2httpResponse;
    type Error = Infallible;
    type Handler<P: Ports> = ManageShop<P::Orders>;

    fn build<P: Ports>(ports: &P) -> Result<Self::Handler<P>, P::Error> {
        Ok(ManageShop::new(
            ports.orders()?,
            baker_key(ports)?,
            signer(ports)?,
            ports.zone(SHOP_TIME_ZONE)?,
            ports.clock(),
            ports.ids(),
        ))
    }

    async fn handle<P: Ports>(handler: &Self::Handler<P>, event: Self::Event) -> Result<Self::Response, Infallible> {
        Ok(handler.handle(event).await)
    }
}

/// On a schedule: publishes the events that stored changes still owe the order stream, once
/// their marks are older than `RELAY_AFTER_SECONDS`.
pub struct RelayEventsFunction;

impl Function for RelayEventsFunction {
    const NAME: &'static str = "relay-events";
    const SUMMARY: &'static str = "every minute: publishes the events stored changes still owe the stream";
    const READS_SECRETS: bool = false;
    type Event = EventBridgeEvent<serde_json::Value>;
    type Response = RelayReport;
    type Error = RelayError;
    type Handler<P: Ports> = RelayEvents<P::Orders, P::Events>;

    fn build<P: Ports>(ports: &P) -> Result<Self::Handler<P>, P::Error> {
        Ok(RelayEvents::new(
            ports.orders()?,
            ports.events()?,
            ports.clock(),
            ports.seconds(RELAY_AFTER_SECONDS)?,
        ))
    }

    async fn handle<P: Ports>(handler: &Self::Handler<P>, event: Self::Event) -> Result<RelayReport, RelayError> {
        handler.handle(event).await
    }
}
