"""What the stack must be, written out by hand rather than read from serverless.yml.

The one exception is each function's HTTP routes: they are declared once, in Rust beside the
handler that dispatches on them (`http_routes!`), and read here from `cakeshop functions --json`
(`declared_routes`), so that no route is written a third time.

Every grant below is traced to the AWS call that needs it (crates/aws/src, called from the
handlers in crates/handlers/src as each function's declaration in crates/handlers/src/functions
builds them), or to what Lambda itself does with the function's role (an event source mapping
reads its stream or queue, and sends to its on-failure destination, as the function's role).

Resources are written as `checks.resource_name` renders them: a resource of this template by its
logical id, or an ARN built with `Fn::Sub` as `<service>:<the part after the account id>`.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

SERVICE = "cakeshop"
STAGE = "dev"

# The values the template is packaged with (serverless.yml's `params.default`).
SENDER_EMAIL = "orders@example.com"
SES_IDENTITY = "orders@example.com"
BAKER_EMAIL = "baker@example.com"

ALARM_EMAIL = "alarms@example.com"
# The SNS topic every alarm tells, which emails ALARM_EMAIL.
ALARM_TOPIC = "AlarmTopic"
# The HTTP API osls makes (AWS::ApiGatewayV2::Api), whose 5xx answers are alarmed on.
HTTP_API = "HttpApi"

SIGNING_SECRET = f"ssm:parameter/{SERVICE}/{STAGE}/signing-secret"
BAKER_API_KEY = f"ssm:parameter/{SERVICE}/{STAGE}/baker-api-key"

# The retries Lambda allows a stream mapping (0-10) and the most a record's age may be: the
# stream's retention (24 h).
MAX_STREAM_RETRIES = 10
MIN_RECORD_AGE_S = 60
# AWS advises at least 5 receives before dead-lettering a Lambda-consumed queue, so that a burst
# of throttling does not dead-letter good messages.
MIN_MAX_RECEIVE_COUNT = 5


@dataclass(frozen=True)
class Stream:
    """A Kinesis event source mapping."""

    stream: str  # logical id of the AWS::Kinesis::Stream
    event_types: tuple[str, ...]  # the `type`s the filter lets through, in the filter's order
    failure_queue: str  # logical id of the function's own on-failure SQS queue
    # Only records of customers who gave an email address (`customerHasEmail`), and those from
    # before the records said so.
    customer_with_email: bool = False

    def filter_patterns(self) -> list[dict]:
        types = {"type": list(self.event_types)}
        if not self.customer_with_email:
            return [{"data": types}]
        return [
            {"data": {**types, "customerHasEmail": [True]}},
            {"data": {**types, "customerHasEmail": [{"exists": False}]}},
        ]


@dataclass(frozen=True)
class Queue:
    """An SQS event source mapping."""

    queue: str  # logical id of the source queue
    dead_letter_queue: str  # logical id of its dead-letter queue


@dataclass(frozen=True)
class Index:
    """A global secondary index of a DynamoDB table."""

    table: str  # logical id of the AWS::DynamoDB::Table
    name: str
    partition_key: str
    sort_key: str
    projected: frozenset[str]  # non-key attributes the readers of the index need


# The outbox (crates/aws/src/dynamodb/outbox_item.rs): orders with events not yet on the stream carry
# outboxBucket and outboxSince, the keys of this sparse index, and pendingEvents, which the relay
# reads from it.
PENDING_EVENTS_INDEX = Index("OrdersTable", "pending-events", "outboxBucket", "outboxSince", frozenset({"pendingEvents"}))
# The baker's listing by status (crates/aws/src/dynamodb/status_index.rs): partition status, sort
# statusSortKey ("<creation time>#<orderId>", written at create). The listing decodes whole orders
# from the index (order_item::from_item), so it needs every attribute of one.
ORDER_ATTRIBUTES = frozenset(
    {
        "orderId",
        "status",
        "customerName",
        "address",
        "email",
        "notes",
        "productId",
        "productName",
        "quantity",
        "unitPriceCents",
        "totalCents",
        "deliveryDate",
        "createdAt",
        "history",
        "cancellation",
    }
)
ORDERS_BY_STATUS_INDEX = Index("OrdersTable", "orders-by-status", "status", "statusSortKey", ORDER_ATTRIBUTES)
INDEXES = [PENDING_EVENTS_INDEX, ORDERS_BY_STATUS_INDEX]


@dataclass(frozen=True)
class Function:
    role: str
    timeout: int
    # (action, resource) pairs: the role's whole allow-list, nothing more, nothing less.
    grants: frozenset[tuple[str, str]]
    routes: frozenset[str] = frozenset()  # HTTP API route keys
    stream: Stream | None = None
    queue: Queue | None = None
    ses_from: str | None = field(default=None)  # ses:FromAddress the SES grant is limited to
    schedule: str | None = None  # an EventBridge schedule expression


def grant(actions: list[str], *resources: str) -> set[tuple[str, str]]:
    return {(action, resource) for action in actions for resource in resources}


@cache
def declared_functions() -> dict[str, dict]:
    """`cakeshop functions --json`, by name: what each function's Rust declaration says. Read from
    $CAKESHOP_FUNCTIONS_JSON when tools/check-stack wrote it, else from the command itself."""
    path = os.environ.get("CAKESHOP_FUNCTIONS_JSON")
    if path:
        text = Path(path).read_text()
    else:
        command = ["cargo", "run", "--quiet", "--locked", "-p", "cakeshop", "--", "functions", "--json"]
        text = subprocess.run(command, cwd=REPO, check=True, capture_output=True, text=True).stdout
    return {function["name"]: function for function in json.loads(text)}


def declared_routes(function: str) -> frozenset[str]:
    """The HTTP API route keys (`POST /order`) that `function` declares."""
    routes = declared_functions()[function]["routes"]
    return frozenset(f"{route['method']} {route['path']}" for route in routes)


# What X-Ray active tracing sends as the function's role. These two actions have no
# resource-level permissions: AWS accepts only Resource "*" for them, the one wildcard allowed.
XRAY_WRITE = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]


def telemetry(function: str) -> set[tuple[str, str]]:
    """Writing to its own log group (osls creates the group, so no logs:CreateLogGroup) and
    sending its X-Ray trace segments."""
    group = f"logs:log-group:/aws/lambda/{SERVICE}-{STAGE}-{function}:*"
    return grant(["logs:CreateLogStream", "logs:PutLogEvents"], group) | grant(XRAY_WRITE, "*")


# Secret::resolve and AwsClients::secrets (crates/aws/src/config/secret.rs, clients.rs): GetParameter
# or, for two secrets at once, GetParameters, with decryption, once at start.
# The parameters are SecureStrings under the AWS managed key aws/ssm: no kms:Decrypt grant.
READ_SECRET = ["ssm:GetParameter", "ssm:GetParameters"]
# KinesisEvents::publish (crates/aws/src/kinesis.rs).
PUT_RECORD = ["kinesis:PutRecord"]
# What Lambda does for a standard-iterator Kinesis mapping.
READ_STREAM = [
    "kinesis:DescribeStream",
    "kinesis:DescribeStreamSummary",
    "kinesis:GetRecords",
    "kinesis:GetShardIterator",
    "kinesis:ListShards",
]
# What Lambda does for an SQS mapping.
CONSUME_QUEUE = [
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:ChangeMessageVisibility",
]
# SqsQueue::send_batch (crates/aws/src/sqs.rs) calls SendMessageBatch, which sqs:SendMessage
# authorises; a mapping's on-failure destination is sent to with sqs:SendMessage too.
SEND_MESSAGE = ["sqs:SendMessage"]
# DynamoOrders (crates/aws/src/dynamodb/orders.rs): get = GetItem; transition and record_step =
# UpdateItem (conditional; a transition into an announced status marks its event), plus a
# GetItem when a refusal returns no item (the order is absent: 404, not 500).
# create (crates/aws/src/dynamodb/orders/booking.rs) = TransactWriteItems of a Put (the order,
# conditional, with the order_placed mark) and an Update (its day's counter, conditional on
# room). TransactWriteItems has no IAM action of its own: each action is authorised as the
# PutItem / UpdateItem it is. What create reads (an order too big for any day, a refusal the
# table sent no item with) is one BatchGetItem.
# cancel = TransactWriteItems of two Updates (the order, conditional on placed, with the
# order_cancelled mark; the day's counter), then a GetItem of the order as written.
CREATE_ORDER = ["dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
READ_ORDER = ["dynamodb:GetItem"]
CHANGE_ORDER = ["dynamodb:GetItem", "dynamodb:UpdateItem"]
CANCEL_ORDER = CHANGE_ORDER
# Bakery on DynamoOrders (crates/aws/src/dynamodb/orders/bakery.rs): rules = one BatchGetItem of the
# three shop#… items, booked = one BatchGetItem of the day#… counters; each save = PutItem
# conditional on the version read.
READ_RULES = ["dynamodb:BatchGetItem"]
SAVE_RULES = ["dynamodb:PutItem"]
# Its outbox (crates/aws/src/dynamodb/orders/outbox.rs): mark_published = UpdateItem (conditional, then
# another to take the order off the index once its last mark is gone), called by whoever
# publishes; pending = Query on the pending-events index (never a Scan), plus that UpdateItem
# for an entry an interrupted clearing left behind.
CLEAR_MARK = ["dynamodb:UpdateItem"]
LIST_PENDING = ["dynamodb:Query"]
PENDING_EVENTS = f"{PENDING_EVENTS_INDEX.table}/index/{PENDING_EVENTS_INDEX.name}"
# DynamoOrders::list_by_status (crates/aws/src/dynamodb/orders/by_status.rs): Query on the orders-by-status
# index (never a Scan).
LIST_BY_STATUS = ["dynamodb:Query"]
ORDERS_BY_STATUS = f"{ORDERS_BY_STATUS_INDEX.table}/index/{ORDERS_BY_STATUS_INDEX.name}"

# The client limits on DynamoOrders (crates/aws/src/dynamodb/orders/limits.rs): take = a
# conditional UpdateItem (or, for several windows, TransactWriteItems of Updates, authorised as
# UpdateItem); check = GetItem; give_back = UpdateItem.
LIMITS = ["dynamodb:GetItem", "dynamodb:UpdateItem"]

# The client limits' counters carry their window's end in expiresAt, the table's time to live
# (crates/aws/src/dynamodb/limit_item.rs).
TIME_TO_LIVE_ATTRIBUTE = "expiresAt"
# The HTTP API stage's throttling: a ceiling shared by all clients, whatever each one's limits.
STAGE_THROTTLING_MAX_RATE = 1000

# SES reviews an account whose bounce rate reaches 5% or whose complaint rate reaches 0.1%; the
# alarms must fire well before (at most half way).
SES_REPUTATION_ALARMS = {"Reputation.BounceRate": 0.025, "Reputation.ComplaintRate": 0.0005}

HTTP_TIMEOUT = 6
CONSUMER_TIMEOUT = 10  # provider.timeout
# A partner call with its retries takes up to 12 s (DEFAULT_PARTNER_TIMEOUT in crates/aws).
PARTNER_CALLER_TIMEOUT = 15
RELAY_TIMEOUT = 30

FUNCTIONS: dict[str, Function] = {
    # PlaceOrder: bakery.rules (catalogue, capacity, open), bakery.booked (the next day with
    # room), orders.create, events.publish(order_placed), orders.mark_published; the signing
    # secret for the customer token.
    "place-order": Function(
        role="PlaceOrderRole",
        timeout=HTTP_TIMEOUT,
        routes=declared_routes("place-order"),
        grants=frozenset(
            telemetry("place-order")
            | grant(READ_RULES + CREATE_ORDER + CLEAR_MARK + LIMITS, "OrdersTable")
            | grant(PUT_RECORD, "OrderStream")
            | grant(READ_SECRET, SIGNING_SECRET)
        ),
    ),
    # CancelOrder: orders.get, orders.cancel, events.publish(order_cancelled),
    # orders.mark_published; the signing secret (the customer's token) and the baker's key.
    "cancel-order": Function(
        role="CancelOrderRole",
        timeout=HTTP_TIMEOUT,
        routes=declared_routes("cancel-order"),
        grants=frozenset(
            telemetry("cancel-order")
            | grant(CANCEL_ORDER + CLEAR_MARK + LIMITS, "OrdersTable")
            | grant(PUT_RECORD, "OrderStream")
            | grant(READ_SECRET, SIGNING_SECRET, BAKER_API_KEY)
        ),
    ),
    # FulfillOrder: orders.get (the confirmation page), orders.transition, events.publish
    # (order_fulfilled), orders.mark_published; the signing secret (email link) and the baker's
    # key.
    "fulfill-order": Function(
        role="FulfillOrderRole",
        timeout=HTTP_TIMEOUT,
        routes=declared_routes("fulfill-order"),
        grants=frozenset(
            telemetry("fulfill-order")
            | grant(CHANGE_ORDER + LIMITS, "OrdersTable")
            | grant(PUT_RECORD, "OrderStream")
            | grant(READ_SECRET, SIGNING_SECRET, BAKER_API_KEY)
        ),
    ),
    # ConfirmDelivery: orders.transition, feedback queue send_batch; the signing secret for the
    # customer token.
    "confirm-delivery": Function(
        role="ConfirmDeliveryRole",
        timeout=HTTP_TIMEOUT,
        routes=declared_routes("confirm-delivery"),
        grants=frozenset(
            telemetry("confirm-delivery")
            | grant(CHANGE_ORDER + LIMITS, "OrdersTable")
            | grant(SEND_MESSAGE, "FeedbackQueue")
            | grant(READ_SECRET, SIGNING_SECRET)
        ),
    ),
    # OrderQueries: orders.get and orders.list_by_status (read-only), and for the board
    # bakery.rules; the signing secret and the baker's key to authorise the reader and sign the
    # board's session.
    "order-queries": Function(
        role="OrderQueriesRole",
        timeout=HTTP_TIMEOUT,
        routes=declared_routes("order-queries"),
        grants=frozenset(
            telemetry("order-queries")
            | grant(READ_ORDER + READ_RULES + LIMITS, "OrdersTable")
            | grant(LIST_BY_STATUS, ORDERS_BY_STATUS)
            | grant(READ_SECRET, SIGNING_SECRET, BAKER_API_KEY)
        ),
    ),
    # ManageShop: bakery.rules and bakery.booked (the products, availability, the days a lowered
    # capacity leaves overbooked, the shop's status), the saves; the baker's key for the changes,
    # the signing secret for the board's session.
    "manage-shop": Function(
        role="ManageShopRole",
        timeout=HTTP_TIMEOUT,
        routes=declared_routes("manage-shop"),
        grants=frozenset(
            telemetry("manage-shop")
            | grant(READ_RULES + SAVE_RULES + LIMITS, "OrdersTable")
            | grant(READ_SECRET, SIGNING_SECRET, BAKER_API_KEY)
        ),
    ),
    # NotifyBaker (order_placed, and order_cancelled when the customer cancelled): orders.get, SesMailer::send (SESv2 SendEmail, authorised as ses:SendEmail on
    # the sender's identity and, in the SES sandbox, the recipient's), orders.record_step; the
    # signing secret for the link. The mapping reads the stream and sends failures to its queue.
    "notify-baker": Function(
        role="NotifyBakerRole",
        timeout=CONSUMER_TIMEOUT,
        stream=Stream("OrderStream", ("order_placed", "order_cancelled"), "NotifyBakerFailureQueue"),
        ses_from=SENDER_EMAIL,
        grants=frozenset(
            telemetry("notify-baker")
            | grant(CHANGE_ORDER, "OrdersTable")
            | grant(READ_STREAM, "OrderStream")
            | grant(SEND_MESSAGE, "NotifyBakerFailureQueue")
            | grant(["ses:SendEmail"], f"ses:identity/{SES_IDENTITY}", f"ses:identity/{BAKER_EMAIL}")
            | grant(READ_SECRET, SIGNING_SECRET)
        ),
    ),
    # NotifyCustomer (order_placed, order_fulfilled, order_cancelled, for a customer who gave an
    # email): orders.get, SesMailer::send on the sender's identity only, orders.record_step; the
    # signing secret for the tracking link. The mapping reads the stream and sends failures on.
    "notify-customer": Function(
        role="NotifyCustomerRole",
        timeout=CONSUMER_TIMEOUT,
        stream=Stream(
            "OrderStream",
            ("order_placed", "order_fulfilled", "order_cancelled"),
            "NotifyCustomerFailureQueue",
            customer_with_email=True,
        ),
        ses_from=SENDER_EMAIL,
        grants=frozenset(
            telemetry("notify-customer")
            | grant(CHANGE_ORDER + LIMITS, "OrdersTable")
            | grant(READ_STREAM, "OrderStream")
            | grant(SEND_MESSAGE, "NotifyCustomerFailureQueue")
            | grant(["ses:SendEmail"], f"ses:identity/{SES_IDENTITY}")
            | grant(READ_SECRET, SIGNING_SECRET)
        ),
    ),
    # RequestDelivery: orders.transition, delivery queue send_batch. The mapping reads the
    # stream and sends failures to its queue.
    "request-delivery": Function(
        role="RequestDeliveryRole",
        timeout=CONSUMER_TIMEOUT,
        stream=Stream("OrderStream", ("order_fulfilled",), "RequestDeliveryFailureQueue"),
        grants=frozenset(
            telemetry("request-delivery")
            | grant(CHANGE_ORDER, "OrdersTable")
            | grant(READ_STREAM, "OrderStream")
            | grant(SEND_MESSAGE, "DeliveryQueue", "RequestDeliveryFailureQueue")
        ),
    ),
    # NotifyDelivery (partner_forwarding.rs): orders.get, the partner over HTTPS (no IAM),
    # orders.record_step. The mapping consumes the delivery queue.
    "notify-delivery": Function(
        role="NotifyDeliveryRole",
        timeout=PARTNER_CALLER_TIMEOUT,
        queue=Queue("DeliveryQueue", "DeliveryDeadLetterQueue"),
        grants=frozenset(
            telemetry("notify-delivery")
            | grant(CHANGE_ORDER, "OrdersTable")
            | grant(CONSUME_QUEUE, "DeliveryQueue")
        ),
    ),
    # ForwardFeedback (partner_forwarding.rs): as notify-delivery, on the feedback queue.
    "forward-feedback": Function(
        role="ForwardFeedbackRole",
        timeout=PARTNER_CALLER_TIMEOUT,
        queue=Queue("FeedbackQueue", "FeedbackDeadLetterQueue"),
        grants=frozenset(
            telemetry("forward-feedback")
            | grant(CHANGE_ORDER, "OrdersTable")
            | grant(CONSUME_QUEUE, "FeedbackQueue")
        ),
    ),
    # RelayEvents: orders.pending (the index), orders.get, events.publish, orders.mark_published.
    # Invoked by its EventBridge schedule, which needs nothing of the role.
    "relay-events": Function(
        role="RelayEventsRole",
        timeout=RELAY_TIMEOUT,
        schedule="rate(1 minute)",
        grants=frozenset(
            telemetry("relay-events")
            | grant(LIST_PENDING, PENDING_EVENTS)
            | grant(CHANGE_ORDER + CLEAR_MARK, "OrdersTable")
            | grant(PUT_RECORD, "OrderStream")
        ),
    ),
}

LIFECYCLE = [
    "place-order",
    "cancel-order",
    "notify-baker",
    "notify-customer",
    "fulfill-order",
    "request-delivery",
    "notify-delivery",
    "confirm-delivery",
    "forward-feedback",
]
QUERIES = ["order-queries"]
# The baker's settings, and the rules and availability anyone may read.
SHOP = ["manage-shop"]
SCHEDULED = ["relay-events"]
assert sorted(LIFECYCLE + QUERIES + SHOP + SCHEDULED) == sorted(FUNCTIONS)


# The shop's own metrics. The functions write them to their logs in CloudWatch's embedded metric
# format (so their roles need no cloudwatch:PutMetricData), tagged with the stage they read from
# their STAGE environment variable. A metric is known by its namespace, name and whole set of
# dimensions: the dashboard must graph exactly these.
METRICS_NAMESPACE = "Cakeshop"


@dataclass(frozen=True)
class Metric:
    name: str
    function: str  # the function that writes it
    dimensions: tuple[tuple[str, str], ...]  # (name, value) as the function writes them


BUSINESS_METRICS = [
    Metric("OrdersPlaced", "place-order", (("Stage", STAGE),)),  # Count
    Metric("OrdersCancelled", "cancel-order", (("Stage", STAGE),)),  # Count
    # Milliseconds from the order being placed to the baker's email sent.
    Metric("TimeToBakerNotified", "notify-baker", (("Stage", STAGE),)),
    # Milliseconds from placed to the baker marking it ready.
    Metric("TimeToReady", "fulfill-order", (("Stage", STAGE),)),
    # Count of partner calls that failed after the client's retries.
    Metric("PartnerFailures", "notify-delivery", (("Stage", STAGE), ("Partner", "delivery"))),
    Metric("PartnerFailures", "forward-feedback", (("Stage", STAGE), ("Partner", "customer-service"))),
]
assert {m.function for m in BUSINESS_METRICS} <= set(FUNCTIONS)
