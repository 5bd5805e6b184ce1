"""Per function: the order its sample expects to find, and what it must have answered and done.

SCENARIOS is in journey order, which is the order the functions run in; the set of functions
itself comes from the template, and each must have a scenario here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Callable

from .expect import CheckFailed, expect
from .seeding import STEPS, step_time
from .shop import Shop

# The outbox on an order item (crates/aws/src/outbox_item.rs).
OUTBOX_ATTRIBUTES = ("pendingEvents", "outboxBucket", "outboxSince")


@dataclass
class Case:
    """One run of a function on its sample: the shop, the function's environment, the sample's
    order, and what `Scenario.before` noted before the run."""

    shop: Shop
    env: dict[str, str]
    order_id: str
    before: dict = field(default_factory=dict)

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
    expect(body.get("totalCents") == 3450, f"totalCents {body.get('totalCents')}, expected 3450")
    item = case.shop.order(order_id)
    expect(item is not None, f"order {order_id} is not in the DynamoDB table")
    expect(item["status"]["S"] == "placed", f"stored status {item['status']['S']!r}")
    placed = [e for e in case.shop.stream_events() if e.get("type") == "order_placed" and e.get("orderId") == order_id]
    expect(len(placed) == 1, f"expected one order_placed record for {order_id} on the stream, found {len(placed)}")
    expect(placed[0]["partitionKey"] == order_id, "the stream record's partition key is not the order id")
    expect(not outbox_left(item), f"the published order_placed is still marked in the outbox: {outbox_left(item)}")


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


def check_fulfill_order(case: Case, answer: dict) -> None:
    body = http_answer(answer, 200)
    expect(body.get("status") == "fulfilled", f"status {body.get('status')!r}, expected 'fulfilled'")
    expect(case.shop.order(case.order_id)["status"]["S"] == "fulfilled", "the stored order is not fulfilled")
    expect(len(events_of(case, "order_fulfilled")) == case.before["fulfilled"] + 1, "no new order_fulfilled record on the stream")
    left = outbox_left(case.shop.order(case.order_id))
    expect(not left, f"the published order_fulfilled is still marked in the outbox: {left}")


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
    "place-order": Scenario(None, check_place_order),
    "notify-baker": Scenario(1, check_notify_baker, lambda case: {"emails": len(emails_to_baker(case))}),
    "fulfill-order": Scenario(2, check_fulfill_order, lambda case: {"fulfilled": len(events_of(case, "order_fulfilled"))}),
    "request-delivery": Scenario(3, check_request_delivery, lambda case: {"drained": case.shop.take_messages(case.var("DELIVERY_QUEUE_URL"))}),
    "notify-delivery": Scenario(4, partner_checker("DELIVERY_API_URL", "courier_notified", "delivery"), partner_calls("DELIVERY_API_URL")),
    "confirm-delivery": Scenario(5, check_confirm_delivery, lambda case: {"drained": case.shop.take_messages(case.var("FEEDBACK_QUEUE_URL"))}),
    "forward-feedback": Scenario(
        6, partner_checker("CUSTOMER_SERVICE_API_URL", "feedback_forwarded", "feedback"), partner_calls("CUSTOMER_SERVICE_API_URL")
    ),
    "order-queries": Scenario(7, check_order_queries),
    # Runs last: by then no other function may have left a mark behind.
    "relay-events": Scenario(3, check_relay_events, relay_before, seed_unpublished="order_fulfilled"),
}
