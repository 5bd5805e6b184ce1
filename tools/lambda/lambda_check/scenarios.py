"""Per function: the order its sample expects to find, and what it must have answered and done.

SCENARIOS is in journey order, which is the order the functions run in; the set of functions
itself comes from the template, and each must have a scenario here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Callable
from zoneinfo import ZoneInfo

from .expect import CheckFailed, expect
from .seeding import STEPS, step_time
from .shop import Shop

# The outbox on an order item (crates/aws/src/dynamodb/outbox_item.rs).
OUTBOX_ATTRIBUTES = ("pendingEvents", "outboxBucket", "outboxSince")


@dataclass
class Case:
    """One run of a function on its sample: the shop, the function's environment, the sample's
    order, and what `Scenario.before` noted before the run."""

    shop: Shop
    env: dict[str, str]
    order_id: str
    before: dict = field(default_factory=dict)
    log: str = ""  # what the function wrote to its log (stdout and stderr)

    def var(self, name: str) -> str:
        if name not in self.env:
            raise CheckFailed(f"the function's environment (from the template) has no {name}")
        return self.env[name]


@dataclass
class Scenario:
    seed_steps: int | None  # the order's journey so far, or None to seed nothing
    check: Callable[[Case, dict], None]  # (case, the function's answer)
    before: Callable[[Case], dict] = lambda case: {}
    # An event the seeded order's last step left unpublished in the outbox, as a crash would.
    seed_unpublished: str | None = None


def metrics_written(case: Case) -> list[dict]:
    """The CloudWatch embedded-metric-format documents in the function's log, each checked to be
    one CloudWatch would take: a JSON line whose `_aws` names the namespace, the dimensions and
    each metric, all present at the root."""
    found = []
    for line in case.log.splitlines():
        if '"_aws"' not in line:
            continue
        document = json.loads(line)
        directives = document["_aws"]["CloudWatchMetrics"]
        expect(isinstance(document["_aws"].get("Timestamp"), int), f"an EMF line without a Timestamp: {line}")
        for directive in directives:
            expect(directive.get("Namespace") == "Cakeshop", f"namespace {directive.get('Namespace')!r}: {line}")
            for dimensions in directive["Dimensions"]:
                for name in dimensions:
                    expect(isinstance(document.get(name), str), f"dimension {name} is not at the root: {line}")
            for metric in directive["Metrics"]:
                expect(isinstance(document.get(metric["Name"]), (int, float)), f"{metric['Name']} has no value: {line}")
        found.append(document)
    return found


def expect_metric(case: Case, name: str, unit: str, order_id: str | None = None) -> None:
    """One `name` metric in `unit` about the order (the case's, unless another is named), tagged
    with the function's STAGE."""
    order_id = order_id or case.order_id
    mine = [
        d
        for d in metrics_written(case)
        if any(m["Name"] == name for directive in d["_aws"]["CloudWatchMetrics"] for m in directive["Metrics"])
    ]
    expect(len(mine) == 1, f"expected one {name} metric in the log, found {len(mine)}")
    metric = next(m for directive in mine[0]["_aws"]["CloudWatchMetrics"] for m in directive["Metrics"])
    expect(metric.get("Unit") == unit, f"{name} in {metric.get('Unit')!r}, expected {unit}")
    expect(mine[0].get("Stage") == case.var("STAGE"), f"{name} tagged Stage={mine[0].get('Stage')!r}")
    expect(mine[0].get("orderId") == order_id, f"{name} about order {mine[0].get('orderId')!r}, expected {order_id}")


def outbox_left(item: dict | None) -> list[str]:
    """The outbox attributes still on a stored order."""
    return [name for name in OUTBOX_ATTRIBUTES if name in (item or {})]


def stored_steps(item: dict | None) -> list[str]:
    if not item:
        return []
    return [step for step in STEPS if step in item.get("history", {}).get("M", {})]


def http_answer(outcome: dict, status: int) -> dict:
    """An API Gateway v2 response: its status and its JSON body."""
    expect(outcome.get("statusCode") == status, f"expected HTTP {status}, got {outcome.get('statusCode')}: {outcome.get('body')}")
    headers = {name.lower(): value for name, value in (outcome.get("headers") or {}).items()}
    expect(
        headers.get("content-type", "").startswith("application/json"),
        f"expected an application/json answer, got content-type {headers.get('content-type')!r}",
    )
    return json.loads(outcome.get("body") or "null")


def no_batch_failures(outcome: dict) -> None:
    expect(outcome == {"batchItemFailures": []}, f"expected {{\"batchItemFailures\": []}}, got {json.dumps(outcome)}")


def events_of(case: Case, kind: str) -> list[dict]:
    return [e for e in case.shop.stream_events() if e.get("type") == kind and e.get("orderId") == case.order_id]


def check_place_order(case: Case, answer: dict) -> None:
    body = http_answer(answer, 201)
    order_id = body.get("orderId")
    expect(isinstance(order_id, str) and order_id, f"no orderId in {body}")
    expect(body.get("status") == "placed", f"status {body.get('status')!r}, expected 'placed'")
    expect(isinstance(body.get("customerToken"), str) and body["customerToken"], "no customerToken")
    # The sample orders one of product 1 (the sample catalogue's chocolate fudge cake, which a
    # new shop sells) and names no day: the earliest day with room.
    expect(body.get("productId") == 1, f"productId {body.get('productId')!r}, expected 1")
    expect(body.get("totalCents") == 3450, f"totalCents {body.get('totalCents')}, expected 3450")
    day = body.get("deliveryDate")
    earliest = earliest_days(case)
    expect(day in earliest, f"deliveryDate {day!r}, expected the earliest orderable day ({' or '.join(earliest)})")
    item = case.shop.order(order_id)
    expect(item is not None, f"order {order_id} is not in the DynamoDB table")
    expect(item["status"]["S"] == "placed", f"stored status {item['status']['S']!r}")
    expect(item.get("productId") == {"N": "1"}, f"stored productId {item.get('productId')}, expected the number 1")
    expect(item.get("deliveryDate") == {"S": day}, f"stored deliveryDate {item.get('deliveryDate')}, expected {day}")
    booked = case.shop.booked(day)
    expect(
        booked == case.before["booked"].get(day, 0) + 1,
        f"{day} has {booked} cakes booked, expected one more than the {case.before['booked'].get(day, 0)} before",
    )
    placed = [e for e in case.shop.stream_events() if e.get("type") == "order_placed" and e.get("orderId") == order_id]
    expect(len(placed) == 1, f"expected one order_placed record for {order_id} on the stream, found {len(placed)}")
    expect(placed[0]["partitionKey"] == order_id, "the stream record's partition key is not the order id")
    expect(not outbox_left(item), f"the published order_placed is still marked in the outbox: {outbox_left(item)}")
    expect_metric(case, "OrdersPlaced", "Count", order_id)


def earliest_days(case: Case) -> list[str]:
    """The earliest orderable day in the shop's zone with the default 18:00 cut-off: tomorrow,
    or the day after from the cut-off on; both near the cut-off, which the run may straddle."""
    now = datetime.now(ZoneInfo(case.var("SHOP_TIME_ZONE")))
    today = now.date()
    if (now.hour, now.minute) < (17, 59):
        return [str(today + timedelta(days=1))]
    if (now.hour, now.minute) >= (18, 1):
        return [str(today + timedelta(days=2))]
    return [str(today + timedelta(days=1)), str(today + timedelta(days=2))]


def cancel_before(case: Case) -> dict:
    item = case.shop.order(case.order_id)
    expect(item is not None and item["status"]["S"] == "placed", f"the seeded order is not placed: {item}")
    day = item["deliveryDate"]["S"]
    return {"day": day, "booked": case.shop.booked(day), "cancelled": len(events_of(case, "order_cancelled"))}


def check_cancel_order(case: Case, answer: dict) -> None:
    # The sample cancels with the order's customer token and a reason.
    body = http_answer(answer, 200)
    reason = "The party moved to Sunday <b>sorry</b>"
    expect(body.get("orderId") == case.order_id, f"orderId {body.get('orderId')!r}")
    expect(body.get("status") == "cancelled", f"status {body.get('status')!r}, expected 'cancelled'")
    expect(body.get("cancellation") == {"by": "customer", "reason": reason}, f"cancellation {body.get('cancellation')}")
    item = case.shop.order(case.order_id)
    expect(item["status"]["S"] == "cancelled", f"stored status {item['status']['S']!r}")
    expect("cancelled" in item.get("history", {}).get("M", {}), "the cancelled step is not recorded")
    stored = item.get("cancellation", {}).get("M", {})
    expect(
        stored.get("by") == {"S": "customer"} and stored.get("reason") == {"S": reason},
        f"stored cancellation {item.get('cancellation')}",
    )
    day, before = case.before["day"], case.before["booked"]
    booked = case.shop.booked(day)
    expect(booked == before - 1, f"{day} has {booked} cakes booked, expected the cancelled one back ({before} - 1)")
    cancelled = events_of(case, "order_cancelled")
    expect(len(cancelled) == case.before["cancelled"] + 1, "no new order_cancelled record on the stream")
    expect(cancelled[-1].get("cancellation") == {"by": "customer", "reason": reason}, f"the record {cancelled[-1]}")
    expect(cancelled[-1]["partitionKey"] == case.order_id, "the stream record's partition key is not the order id")
    left = outbox_left(item)
    expect(not left, f"the published order_cancelled is still marked in the outbox: {left}")
    expect_metric(case, "OrdersCancelled", "Count")


# The days the manage-shop check books cakes on before GET /availability (from tomorrow on in
# the shop's zone), and how many: the answer must read each from its day counter. Few, since
# place-order and the Python baseline book the earliest of these days too, dozens of times.
AVAILABILITY_SEEDS = (1, 2, 3)


def availability_before(case: Case) -> dict:
    today = datetime.now(ZoneInfo(case.var("SHOP_TIME_ZONE"))).date()
    for offset, cakes in enumerate(AVAILABILITY_SEEDS, start=1):
        case.shop.book(str(today + timedelta(days=offset)), cakes)
    return {}


def check_manage_shop(case: Case, answer: dict) -> None:
    # The sample: GET /availability?days=7, from the earliest orderable day.
    body = http_answer(answer, 200)
    days = body.get("days")
    expect(isinstance(days, list) and len(days) == 7, f"expected 7 days, got {days}")
    first = days[0].get("date")
    earliest = earliest_days(case)
    expect(first in earliest, f"the first day is {first!r}, expected the earliest orderable day ({' or '.join(earliest)})")
    start = date.fromisoformat(first)
    for offset, day in enumerate(days):
        expected_date = str(start + timedelta(days=offset))
        expect(day.get("date") == expected_date, f"day {offset} is {day.get('date')!r}, expected {expected_date}")
        booked = case.shop.booked(expected_date)
        # No capacity settings are stored: 20 cakes a day.
        wanted = {"date": expected_date, "capacity": 20, "booked": booked, "left": max(0, 20 - booked)}
        expect(day == wanted, f"{expected_date}: {day}, expected {wanted} (from its day counter)")
    expect(any(day["booked"] > 0 for day in days), f"no day shows the cakes booked before: {days}")


def emails_to_baker(case: Case) -> list[dict]:
    baker = case.var("BAKER_EMAIL")
    return [m for m in case.shop.sent_emails() if baker in (m.get("destinations") or {}).get("ToAddresses", [])]


def check_notify_baker(case: Case, answer: dict) -> None:
    no_batch_failures(answer)
    baker, sender, base_url = case.var("BAKER_EMAIL"), case.var("SENDER_EMAIL"), case.var("PUBLIC_BASE_URL")
    emails = emails_to_baker(case)
    new = len(emails) - case.before["emails"]
    expect(new == 1, f"expected one new email to {baker} in SES, found {new}")
    email = emails[-1]
    expect(email.get("source") == sender, f"email from {email.get('source')!r}")
    expect(case.order_id in json.dumps(email), "the baker's email does not mention the order id")
    expect(f"{base_url}/order/fulfilled?token=" in email.get("body", ""), "no confirmation link in the email")
    expect("baker_notified" in stored_steps(case.shop.order(case.order_id)), "baker_notified not recorded")
    expect_metric(case, "TimeToBakerNotified", "Milliseconds")


def emails_to_customer(case: Case) -> list[dict]:
    customer = case.shop.order(case.order_id).get("email", {}).get("S")
    expect(customer is not None, "the sample order has no customer email")
    return [m for m in case.shop.sent_emails() if customer in (m.get("destinations") or {}).get("ToAddresses", [])]


def check_notify_customer(case: Case, answer: dict) -> None:
    # The sample is the order_placed record: the customer's confirmation with the tracking link.
    no_batch_failures(answer)
    sender, base_url = case.var("SENDER_EMAIL"), case.var("PUBLIC_BASE_URL")
    emails = emails_to_customer(case)
    new = len(emails) - case.before["emails"]
    expect(new == 1, f"expected one new email to the customer in SES, found {new}")
    email = emails[-1]
    expect(email.get("source") == sender, f"email from {email.get('source')!r}")
    expect(f"{base_url}/track/{case.order_id}?t=" in email.get("body", ""), "no tracking link in the email")
    # Not a step of the seeded journey (STEPS), so read from the history map itself.
    history = case.shop.order(case.order_id).get("history", {}).get("M", {})
    expect("customer_confirmed" in history, f"customer_confirmed not recorded: {sorted(history)}")


def check_fulfill_order(case: Case, answer: dict) -> None:
    body = http_answer(answer, 200)
    expect(body.get("status") == "fulfilled", f"status {body.get('status')!r}, expected 'fulfilled'")
    expect(case.shop.order(case.order_id)["status"]["S"] == "fulfilled", "the stored order is not fulfilled")
    expect(len(events_of(case, "order_fulfilled")) == case.before["fulfilled"] + 1, "no new order_fulfilled record on the stream")
    left = outbox_left(case.shop.order(case.order_id))
    expect(not left, f"the published order_fulfilled is still marked in the outbox: {left}")
    expect_metric(case, "TimeToReady", "Milliseconds")


def check_request_delivery(case: Case, answer: dict) -> None:
    no_batch_failures(answer)
    item = case.shop.order(case.order_id)
    expect(item["status"]["S"] == "out_for_delivery", f"stored status {item['status']['S']!r}")
    expect("delivery_requested" in stored_steps(item), "delivery_requested not recorded")
    messages = case.shop.take_messages(case.var("DELIVERY_QUEUE_URL"))
    expect(
        [m.get("orderId") for m in messages] == [case.order_id],
        f"expected one delivery request for {case.order_id} on the delivery queue, found {messages}",
    )


def partner_checker(variable: str, step: str, key_prefix: str) -> Callable[[Case, dict], None]:
    """A check of the one call to the partner whose URL `variable` gives."""

    def check(case: Case, answer: dict) -> None:
        no_batch_failures(answer)
        url = case.var(variable)
        calls = case.shop.partners.calls_to(url)[case.before["calls"] :]
        expect(len(calls) == 1, f"expected one call to {url}, got {len(calls)}")
        expect(calls[0]["body"] and calls[0]["body"].get("orderId") == case.order_id, f"the call's body: {calls[0]['body']}")
        expect(calls[0]["idempotencyKey"] == f"{key_prefix}:{case.order_id}", f"Idempotency-Key {calls[0]['idempotencyKey']!r}")
        expect(step in stored_steps(case.shop.order(case.order_id)), f"{step} not recorded")
        # The partner answered at once: nothing failed, so nothing to count.
        expect(metrics_written(case) == [], "a partner failure was counted for a call that succeeded")

    return check


def partner_calls(variable: str) -> Callable[[Case], dict]:
    return lambda case: {"calls": len(case.shop.partners.calls_to(case.var(variable)))}


def check_confirm_delivery(case: Case, answer: dict) -> None:
    body = http_answer(answer, 200)
    expect(body.get("status") == "delivered", f"status {body.get('status')!r}, expected 'delivered'")
    expect(case.shop.order(case.order_id)["status"]["S"] == "delivered", "the stored order is not delivered")
    messages = case.shop.take_messages(case.var("FEEDBACK_QUEUE_URL"))
    expect(len(messages) == 1 and messages[0].get("orderId") == case.order_id, f"feedback queue holds {messages}")
    expect(messages[0].get("rating") == 5, f"feedback rating {messages[0].get('rating')}")


def check_order_queries(case: Case, answer: dict) -> None:
    body = http_answer(answer, 200)
    expect(body.get("orderId") == case.order_id and body.get("status") == "delivered", f"got {body}")
    expect([entry.get("step") for entry in body.get("history", [])] == STEPS, f"history {body.get('history')}")


def relay_before(case: Case) -> dict:
    events = case.shop.stream_events()
    return {"events": len(events), "fulfilled": [e for e in events if e.get("type") == "order_fulfilled"]}


def check_relay_events(case: Case, answer: dict) -> None:
    order_id = case.order_id
    expect(answer.get("published") == 1, f"expected a report of one published event, got {answer}")
    new = case.shop.stream_events()[case.before["events"] :]
    expect(len(new) == 1, f"expected exactly one new record on the stream, found {len(new)}: {new}")
    record = new[0]
    expect(
        (record.get("type"), record.get("orderId"), record["partitionKey"]) == ("order_fulfilled", order_id, order_id),
        f"expected order_fulfilled for {order_id} keyed by it, got {record}",
    )
    fulfilled_at = step_time("fulfilled")
    expect(record.get("occurredAt") == fulfilled_at, f"occurredAt {record.get('occurredAt')}, expected {fulfilled_at}")
    earlier = [e for e in case.before["fulfilled"] if e.get("orderId") == order_id]
    expect(
        all(e.get("eventId") == record.get("eventId") for e in earlier),
        f"the relayed event id {record.get('eventId')} differs from fulfill-order's {[e.get('eventId') for e in earlier]}",
    )
    item = case.shop.order(order_id)
    expect(not outbox_left(item), f"the relayed event's mark is not cleared: {outbox_left(item)}")
    expect(item["status"]["S"] == "fulfilled", f"the relay changed the order's status to {item['status']['S']!r}")
    marked = [i["orderId"]["S"] for i in case.shop.scan() if outbox_left(i)]
    expect(not marked, f"orders still marked in the outbox after every function ran: {marked}")


SCENARIOS: dict[str, Scenario] = {
    "place-order": Scenario(None, check_place_order, lambda case: {"booked": case.shop.all_booked()}),
    "cancel-order": Scenario(2, check_cancel_order, cancel_before),
    "notify-baker": Scenario(1, check_notify_baker, lambda case: {"emails": len(emails_to_baker(case))}),
    "notify-customer": Scenario(1, check_notify_customer, lambda case: {"emails": len(emails_to_customer(case))}),
    "fulfill-order": Scenario(2, check_fulfill_order, lambda case: {"fulfilled": len(events_of(case, "order_fulfilled"))}),
    "request-delivery": Scenario(3, check_request_delivery, lambda case: {"drained": case.shop.take_messages(case.var("DELIVERY_QUEUE_URL"))}),
    "notify-delivery": Scenario(4, partner_checker("DELIVERY_API_URL", "courier_notified", "delivery"), partner_calls("DELIVERY_API_URL")),
    "confirm-delivery": Scenario(5, check_confirm_delivery, lambda case: {"drained": case.shop.take_messages(case.var("FEEDBACK_QUEUE_URL"))}),
    "forward-feedback": Scenario(
        6, partner_checker("CUSTOMER_SERVICE_API_URL", "feedback_forwarded", "feedback"), partner_calls("CUSTOMER_SERVICE_API_URL")
    ),
    "order-queries": Scenario(7, check_order_queries),
    "manage-shop": Scenario(None, check_manage_shop, availability_before),
    # Runs last: by then no other function may have left a mark behind.
    "relay-events": Scenario(3, check_relay_events, relay_before, seed_unpublished="order_fulfilled"),
}
