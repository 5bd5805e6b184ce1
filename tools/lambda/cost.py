#!/usr/bin/env python3
"""Cost per million orders on AWS, from measured handler durations.

Reads the warm invocation times tools/lambda-check measured for each function (the x86_64 native
run in $CARGO_TARGET_DIR/lambda/lambda-check.json: the median of several warm invocations in one
execution environment, against moto on loopback), the memory sizes in serverless.yml, and counts
per order what the adapters do (crates/aws): invocations, HTTP API requests, DynamoDB write and
read request units (table and the pending-events index), Kinesis records and SQS requests, and
SES emails. Prints a markdown table of $ per million orders, with and without the email.

Standard library only. Usage:
  tools/lambda/cost.py [--report PATH] [--serverless serverless.yml] [--orders-per-month N]
                       [--assume-ms MS]

Every assumption is in ASSUMPTIONS/PER_ORDER below and printed with the table.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# ----------------------------------------------------------------------------- prices
# Public on-demand prices, US East (N. Virginia), read 2026-11-21 from these pages (the search
# corpus' copies; eu-west-1 is a few % higher for most lines):
#   Lambda     https://aws.amazon.com/lambda/pricing/ (arm64 first 7.5 bn GB-s/month
#              $0.0000133334 per GB-s; $0.20 per million requests; 1 ms billing)
#   HTTP API   https://aws.amazon.com/api-gateway/pricing/ and the AWS whitepaper "Best Practices
#              for Designing Amazon API Gateway Private APIs", table 4 (first 300 M/month $1.00
#              per million; metered in 512 KB increments)
#   DynamoDB   https://aws.amazon.com/dynamodb/pricing/on-demand/ after the November 2024 cut
#              (quoted by airbyte.com, July 2025): $0.625 per million WRU, $0.125 per million RRU
#   Kinesis    https://aws.amazon.com/kinesis/data-streams/pricing/ provisioned mode: $0.015 per
#              shard-hour, $0.014 per million PUT payload units (25 KB each). The corpus copy of
#              that page did not show the figures; these are the long-standing us-east-1 rates.
#   SQS        https://aws.amazon.com/sqs/pricing/ (cloudburn.io, March 2026): standard queue
#              $0.40 per million requests after the first million a month; 64 KB chunks
#   SES        https://aws.amazon.com/ses/pricing/ : $0.10 per 1,000 outbound emails
# Free tiers (Lambda 1 M requests + 400,000 GB-s, SQS 1 M requests a month) are left out: the
# figures are marginal costs at scale.
PRICES = {
    "region": "us-east-1",
    "read": "2026-11-21",
    "lambda_arm64_gb_second": 0.0000133334,
    "lambda_request": 0.20 / 1e6,
    "http_api_request": 1.00 / 1e6,
    "dynamodb_wru": 0.625 / 1e6,
    "dynamodb_rru": 0.125 / 1e6,
    "kinesis_shard_hour": 0.015,
    "kinesis_put_payload_unit": 0.014 / 1e6,
    "sqs_request": 0.40 / 1e6,
    "ses_email": 0.10 / 1000,
}

HOURS_PER_MONTH = 730
MINUTES_PER_MONTH = HOURS_PER_MONTH * 60

# ----------------------------------------------------------------------------- per order
# The happy path of one order, function by function (crates/handlers + crates/aws adapters).
# DynamoDB: every item is under 1 KB (checked below), so a write is 1 WRU and a strongly
# consistent GetItem 1 RRU. The table's pending-events GSI is written too whenever an update adds,
# changes (pendingEvents is projected) or removes an item's outbox keys: 1 more WRU each.
#   place-order      BatchGetItem of the shop's rules (3 items, consistent)   3 RRU
#                    TransactWriteItems: Put order + outbox mark,           2 WRU + 1 GSI WRU
#                                    Update day counter (ADD booked)        2 WRU
#                    (a transaction's writes cost 2 WRU an item; its index writes do not double)
#                    Kinesis PutRecord order_placed                         1 record
#                    mark_published: UpdateItem DELETE pendingEvents        1 WRU + 1 GSI WRU
#                                    UpdateItem REMOVE outboxBucket/Since   1 WRU + 1 GSI WRU
#   notify-baker     GetItem, SES SendEmail, UpdateItem (step)              1 RRU, 1 email, 1 WRU
#   notify-customer  per event (placed, fulfilled): GetItem, SendEmail,     2 RRU, 2 emails, 2 WRU
#                    UpdateItem (step); counted as if every customer gave an email
#   fulfill-order    GET page: GetItem                                      1 RRU
#                    POST: UpdateItem transition + mark                     1 WRU + 1 GSI WRU
#                    Kinesis PutRecord order_fulfilled, mark_published      1 record, 2 WRU + 2 GSI WRU
#   request-delivery UpdateItem transition, SQS SendMessageBatch            1 WRU, 1 SQS send
#   notify-delivery  GetItem, partner call, UpdateItem (step)               1 RRU, 1 WRU
#                    (Lambda's poller: ReceiveMessage + DeleteMessage)      2 SQS requests
#   confirm-delivery UpdateItem transition, SQS SendMessage (feedback)      1 WRU, 1 SQS send
#   forward-feedback GetItem, partner call, UpdateItem (step)               1 RRU, 1 WRU
#                    (Lambda's poller: ReceiveMessage + DeleteMessage)      2 SQS requests
#   order-queries    GetItem per status read                                1 RRU each
# Not on the happy path, so not counted per order: cancel-order (a cancel is a TransactWriteItems
# of two Updates, 4 WRU + index writes) and manage-shop (the baker's settings, availability).
# Event source batches: at a steady trickle each Kinesis/SQS batch holds one record, so every
# consumer is invoked once per order (the most expensive case; batching only lowers it).
STATUS_READS = 2  # the customer looks at the order's status twice (GET /order/{id})
PER_ORDER = {
    # function: (invocations, http api requests)
    "invocations": {
        "place-order": (1, 1),
        "notify-baker": (1, 0),
        "notify-customer": (2, 0),
        "fulfill-order": (2, 2),  # the email link's GET page, then its POST button
        "request-delivery": (1, 0),
        "notify-delivery": (1, 0),
        "confirm-delivery": (1, 1),
        "forward-feedback": (1, 0),
        "order-queries": (STATUS_READS, STATUS_READS),
    },
    "dynamodb_wru": {
        "place-order": 3 + 1 + 2 + 3,  # as before, plus the transaction's second WRU and the day counter
        "notify-baker": 1,
        "notify-customer": 2,
        "fulfill-order": 3 + 3,
        "request-delivery": 1,
        "notify-delivery": 1,
        "confirm-delivery": 1,
        "forward-feedback": 1,
    },
    "dynamodb_rru": {
        "place-order": 3,
        "notify-baker": 1,
        "notify-customer": 2,
        "fulfill-order": 1,
        "notify-delivery": 1,
        "forward-feedback": 1,
        "order-queries": STATUS_READS,
    },
    "kinesis_records": 2,  # order_placed, order_fulfilled; each well under 25 KB: 1 payload unit
    # send (request-delivery), send (confirm-delivery), receive + delete by each consumer's poller
    "sqs_requests": 1 + 1 + 2 + 2,
    "emails": 3,  # the baker's email; the customer's confirmation and "on its way"
}

ASSUMPTIONS = [
    "orders: {orders:,} a month (fixed monthly costs below are shared over them)",
    "HTTP API: POST /order, GET + POST /order/fulfilled (the baker's link and button), POST /order/delivered, "
    f"{STATUS_READS} x GET /order/{{id}} = {sum(h for _, h in PER_ORDER['invocations'].values())} requests",
    "Lambda: arm64, memory from serverless.yml, billed duration = measured warm duration rounded up to 1 ms "
    "(x86_64 host against moto on loopback: a lower bound; on AWS each SDK call is a network round trip), "
    "plus relay-events on its schedule, rate(1 minute)",
    "DynamoDB on-demand: items < 1 KB (1 WRU per write, 2 in a transaction; 1 RRU per strongly consistent read); "
    "place-order's transaction with its day counter, its read of the shop's rules (3 items); "
    "outbox index writes counted; relay-events' Query of the index: 1 RRU a run",
    "Kinesis: provisioned, 1 shard (serverless.yml), 2 records per order at 1 PUT payload unit each; "
    "consumers read through Lambda's event source mapping (GetRecords is free)",
    "SQS standard: 6 requests per order (2 sends, 2 receives, 2 deletes; messages < 64 KB) plus Lambda's "
    "long polling of the two idle queues: about 5 pollers x 3 receives a minute each",
    "SES: 3 emails per order (the baker's; the customer's confirmation and 'on its way'); 'without email' drops that line only",
    "not counted: CloudWatch Logs, data transfer out, SSM/KMS at cold start, DynamoDB storage and PITR, "
    "dead-letter queues, free tiers",
]


# ----------------------------------------------------------------------------- inputs


def memory_sizes(serverless: Path) -> dict[str, int]:
    """memorySize per function from serverless.yml: the provider's, or the function's own."""
    default, sizes, current, in_functions = 1024, {}, None, False
    for line in serverless.read_text().splitlines():
        if re.match(r"^provider:", line):
            in_functions = False
        elif re.match(r"^functions:", line):
            in_functions = True
            continue
        elif re.match(r"^\S", line):
            in_functions = False
        found = re.match(r"^  memorySize:\s*(\d+)", line)
        if found and not in_functions:
            default = int(found.group(1))
        if in_functions:
            function = re.match(r"^  ([a-z][a-z0-9-]*):\s*$", line)
            if function:
                current = function.group(1)
            found = re.match(r"^    memorySize:\s*(\d+)", line)
            if found and current:
                sizes[current] = int(found.group(1))
    return {name: sizes.get(name, default) for name in [*PER_ORDER["invocations"], "relay-events"]}


def dynamodb_item_bytes(events_dir: Path) -> int:
    """The size DynamoDB bills for the largest order item: the sample order at the end of its
    journey, with every history step and the outbox attributes (names + values, UTF-8)."""
    import base64

    sample = json.loads((events_dir / "notify-baker.json").read_text())
    order = json.loads(base64.b64decode(sample["Records"][0]["kinesis"]["data"]))["order"]
    customer = order["customer"]
    strings = {
        "orderId": order["orderId"],
        "status": "out_for_delivery",
        "customerName": customer["name"],
        "address": customer["address"],
        "productName": order["productName"],
        "deliveryDate": order["deliveryDate"],
        "createdAt": order["createdAt"],
        "email": customer.get("email") or "",
        "notes": customer.get("notes") or "",
        "outboxBucket": "pending",
        "outboxSince": "2026-11-20T13:30:00.000Z",
    }
    size = sum(len(k.encode()) + len(v.encode()) for k, v in strings.items())
    numbers = {
        "productId": order["productId"],
        "quantity": order["quantity"],
        "unitPriceCents": order["unitPriceCents"],
        "totalCents": order["totalCents"],
    }
    size += sum(len(k) + 1 + math.ceil(len(str(v)) / 2) for k, v in numbers.items())
    steps = [
        "placed",
        "customer_confirmed",
        "baker_notified",
        "fulfilled",
        "customer_told_on_its_way",
        "delivery_requested",
        "courier_notified",
        "delivered",
        "feedback_forwarded",
    ]
    size += len("history") + 3 + sum(len(s) + 1 + len("2026-11-20T13:30:00.000Z") for s in steps)
    size += len("pendingEvents") + len("order_fulfilled") + len("order_placed")
    return size


# ----------------------------------------------------------------------------- the model


def costs(durations: dict[str, float], memory: dict[str, int], orders_per_month: int) -> list[tuple[str, float, str]]:
    """(line, $ per million orders, how) for each line of the bill."""
    p, per = PRICES, PER_ORDER
    million = 1e6
    lines = []
    gb_seconds, requests, how = 0.0, 0, []
    for name, (count, _) in per["invocations"].items():
        billed_ms = math.ceil(durations[name])
        gb_seconds += count * memory[name] / 1024 * billed_ms / 1000
        requests += count
        how.append(f"{name} {count}x{billed_ms} ms")
    lines.append(("Lambda requests", requests * p["lambda_request"] * million, f"{requests} invocations per order"))
    lines.append(("Lambda duration (arm64 GB-s)", gb_seconds * p["lambda_arm64_gb_second"] * million, ", ".join(how)))
    # relay-events: once a minute whatever the orders; shared over the month's orders.
    relay_runs = MINUTES_PER_MONTH
    relay_ms = math.ceil(durations["relay-events"])
    relay = relay_runs * (p["lambda_request"] + memory["relay-events"] / 1024 * relay_ms / 1000 * p["lambda_arm64_gb_second"])
    relay += relay_runs * p["dynamodb_rru"]
    lines.append((
        "relay-events schedule (fixed)",
        relay / orders_per_month * million,
        f"{relay_runs:,} runs a month x {relay_ms} ms + 1 RRU each",
    ))  # fmt: skip
    http = sum(h for _, h in per["invocations"].values())
    lines.append(("HTTP API requests", http * p["http_api_request"] * million, f"{http} per order"))
    wru, rru = sum(per["dynamodb_wru"].values()), sum(per["dynamodb_rru"].values())
    lines.append(("DynamoDB writes (on-demand)", wru * p["dynamodb_wru"] * million, f"{wru} WRU per order (incl. 8 for the outbox and its index)"))
    lines.append(("DynamoDB reads (on-demand)", rru * p["dynamodb_rru"] * million, f"{rru} RRU per order"))
    records = per["kinesis_records"]
    lines.append(("Kinesis PUT payload units", records * p["kinesis_put_payload_unit"] * million, f"{records} per order"))
    shard = HOURS_PER_MONTH * p["kinesis_shard_hour"]
    lines.append(("Kinesis shard-hours (fixed)", shard / orders_per_month * million, f"1 shard x {HOURS_PER_MONTH} h = ${shard:.2f} a month"))
    sqs = per["sqs_requests"]
    lines.append(("SQS requests", sqs * p["sqs_request"] * million, f"{sqs} per order"))
    idle = 2 * 5 * 3 * MINUTES_PER_MONTH
    lines.append(("SQS long polling (fixed)", idle * p["sqs_request"] / orders_per_month * million, f"~{idle:,} empty receives a month"))
    lines.append(("SES email", per["emails"] * p["ses_email"] * million, f"{per['emails']} per order"))
    return lines


def markdown(lines: list[tuple[str, float, str]]) -> str:
    total = sum(cost for _, cost, _ in lines)
    without = sum(cost for name, cost, _ in lines if not name.startswith("SES"))
    out = ["| line | $ per million orders | per order |", "|---|---:|---|"]
    out += [f"| {name} | {cost:,.2f} | {how} |" for name, cost, how in lines]
    out.append(f"| **total, with the email** | **{total:,.2f}** | ${total / 1e6:.6f} an order |")
    out.append(f"| **total, without the email** | **{without:,.2f}** | ${without / 1e6:.6f} an order |")
    return "\n".join(out)


def main() -> int:
    target = Path(os.environ.get("CARGO_TARGET_DIR") or REPO / "target")
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--report", type=Path, default=target / "lambda" / "lambda-check.json", help="tools/lambda-check's JSON")
    parser.add_argument("--serverless", type=Path, default=REPO / "serverless.yml")
    parser.add_argument("--events-dir", type=Path, default=REPO / "events")
    parser.add_argument("--orders-per-month", type=int, default=1_000_000, help="shares the fixed monthly costs")
    parser.add_argument("--assume-ms", type=float, help="use this duration for every invocation instead of the measured ones")
    parser.add_argument("--json", action="store_true", help="print the lines as JSON too")
    args = parser.parse_args()

    item = dynamodb_item_bytes(args.events_dir)
    if item > 1024:
        print(f"the largest order item is {item} bytes: over 1 KB, so each write is more than 1 WRU", file=sys.stderr)
        return 1
    memory = memory_sizes(args.serverless)
    if args.assume_ms:
        durations, source = {name: args.assume_ms for name in memory}, f"an assumed {args.assume_ms:g} ms each"
    else:
        report = json.loads(args.report.read_text())
        native = report["runs"]["x86_64 native"]
        missing = [name for name in memory if "warmInvokeMs" not in native.get(name, {})]
        if missing:
            print(f"{args.report} has no warm invocation times for {missing}: run tools/lambda-check", file=sys.stderr)
            return 1
        durations = {name: native[name]["warmInvokeMs"] for name in memory}
        source = f"warm medians from {args.report}"

    lines = costs(durations, memory, args.orders_per_month)
    print(f"Cost per million orders, {PRICES['region']} on-demand prices read {PRICES['read']}; durations: {source}.")
    print("Measured warm durations (ms): " + ", ".join(f"{n} {d:.1f}" for n, d in durations.items()))
    print(f"Memory (MB, serverless.yml): " + ", ".join(f"{n} {m}" for n, m in memory.items()))
    print(f"Largest order item: ~{item} bytes (< 1 KB: 1 WRU a write, 1 RRU a consistent read)\n")
    print(markdown(lines))
    print("\nAssumptions:")
    for assumption in ASSUMPTIONS:
        print("- " + assumption.replace("{orders:,}", f"{args.orders_per_month:,}"))
    if args.json:
        print(json.dumps({name: cost for name, cost, _ in lines}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
