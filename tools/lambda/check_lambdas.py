#!/usr/bin/env python3
"""Runs every Lambda's real `bootstrap` binary against a local Lambda Runtime API and moto.

For each of the nine functions this starts the binary as Lambda would (the runtime API address,
the function's name, memory and version, and the same environment serverless.yml gives it, with
the secrets as SSM SecureString parameters), answers its first `GET .../invocation/next` with the
function's sample from events/, and checks what it answered and what it did on the wire: the
order in DynamoDB (and its outbox marks), the records on the Kinesis stream, the messages on the
SQS queues, the email in SES (all in moto) and the calls to the two partner APIs (a small HTTP
server here). The relay gets an order that a "crash" left with order_fulfilled unpublished.

Two ways of running the same code:
  arm64 (qemu)  the `bootstrap` from target/lambda/<name>/bootstrap.zip, the artifact that is
                deployed, under qemu-aarch64 user emulation: proves the artifact, but its
                timings are the emulator's.
  x86_64        host-native builds of the same binaries (same profile): the cold-init and memory
                numbers worth reading.

Standard library and boto3 (from the venv tools/lambda-check makes) only. Usage: see --help;
tools/lambda-check passes every path. Exits non-zero if any check failed.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import queue
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.request
import uuid
import zipfile
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable

import boto3

FUNCTIONS = [
    "place-order",
    "notify-baker",
    "fulfill-order",
    "request-delivery",
    "notify-delivery",
    "confirm-delivery",
    "forward-feedback",
    "order-queries",
    "relay-events",
]

REGION = "eu-west-1"
ACCOUNT = "123456789012"
STAGE = "check"
TABLE = f"cakeshop-{STAGE}-orders"
STREAM = f"cakeshop-{STAGE}-orders"
DELIVERY_QUEUE = f"cakeshop-{STAGE}-delivery"
FEEDBACK_QUEUE = f"cakeshop-{STAGE}-feedback"
SENDER_EMAIL = "orders@bakery.example"
BAKER_EMAIL = "kitchen@bakery.example"
PUBLIC_BASE_URL = "https://abc123defg.execute-api.eu-west-1.amazonaws.com"
# The samples in events/ were made with these: fulfill-order's sample sends the baker key, the
# customer token in confirm-delivery's and order-queries' samples is signed with the secret.
SIGNING_SECRET = "test-signing-secret"
BAKER_API_KEY = "test-baker-key"
SIGNING_SECRET_PARAMETER = f"/cakeshop/{STAGE}/signing-secret"
BAKER_API_KEY_PARAMETER = f"/cakeshop/{STAGE}/baker-api-key"
MEMORY_MB = 128
# serverless.yml's RELAY_AFTER_SECONDS.
RELAY_AFTER_SECONDS = "10"
# The outbox on an order item and its index (crates/aws/src/outbox_item.rs).
PENDING_EVENTS = "pendingEvents"
OUTBOX_BUCKET = "outboxBucket"
OUTBOX_SINCE = "outboxSince"
PENDING_EVENTS_INDEX = "pending-events"
OUTBOX_ATTRIBUTES = (PENDING_EVENTS, OUTBOX_BUCKET, OUTBOX_SINCE)

# The order's journey: each step, the status it leaves the order in and when (fixed times, so a
# seeded order looks like one the previous function left behind).
JOURNEY = [
    ("placed", "placed", "2026-11-20T09:00:00Z"),
    ("baker_notified", "placed", "2026-11-20T09:00:01Z"),
    ("fulfilled", "fulfilled", "2026-11-20T13:30:00Z"),
    ("delivery_requested", "out_for_delivery", "2026-11-20T13:30:01Z"),
    ("courier_notified", "out_for_delivery", "2026-11-20T13:30:02Z"),
    ("delivered", "delivered", "2026-11-20T16:45:00Z"),
    ("feedback_forwarded", "delivered", "2026-11-20T16:45:01Z"),
]
STEPS = [step for step, _, _ in JOURNEY]

# The Python baseline (tools/lambda/python_baseline): place-order's DynamoDB put with boto3.
PYTHON_BASELINE = "python-baseline"
PYTHON_BASELINE_DIR = Path(__file__).resolve().parent / "python_baseline"
# Invocations timed per function after its first, in one warm execution environment.
WARM_INVOCATIONS = 5

START_TIMEOUT_NATIVE = 20.0
START_TIMEOUT_EMULATED = 120.0
INVOKE_TIMEOUT_NATIVE = 30.0
INVOKE_TIMEOUT_EMULATED = 120.0


class CheckFailed(Exception):
    """A check on what a function did failed; the message says what was expected."""


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def read_body(handler: BaseHTTPRequestHandler) -> bytes:
    """The request body, whether sent with Content-Length or chunked."""
    if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int(handler.rfile.readline().split(b";")[0].strip(), 16)
            if size == 0:
                while handler.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(chunks)
            chunks.append(handler.rfile.read(size))
            handler.rfile.readline()
    return handler.rfile.read(int(handler.headers.get("Content-Length") or 0))


def reply(handler: BaseHTTPRequestHandler, status: int, body: bytes = b"", headers: dict | None = None) -> None:
    handler.send_response(status)
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a killed function drops its connection; nothing to report


# --------------------------------------------------------------------------- the runtime API


class RuntimeApi:
    """One execution environment's Lambda Runtime API (2018-06-01), serving one invocation.

    The first `next` gets the event; later ones (and, with no event, the first too) are held open,
    as Lambda does while no event is waiting, until the environment is shut down.
    """

    def __init__(self, function_name: str, event: bytes | None, deadline_seconds: float):
        self.function_name = function_name
        self.event = event
        self.deadline_seconds = deadline_seconds
        self.request_id = str(uuid.uuid4())
        self.lock = threading.Lock()
        self.next_calls = 0
        self.first_next_at: float | None = None
        self.answered_at: float | None = None
        self.outcome: tuple[str, bytes, dict] | None = None  # (kind, body, headers)
        self.changed = threading.Condition(self.lock)
        self.closing = threading.Event()
        self.unexpected: list[str] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                if self.path != "/2018-06-01/runtime/invocation/next":
                    api.note_unexpected(f"GET {self.path}")
                    return reply(self, 404, b'{"errorMessage":"unknown path"}')
                api.next_invocation(self)

            def do_POST(self):
                body = read_body(self)
                base = f"/2018-06-01/runtime/invocation/{api.request_id}/"
                if self.path == base + "response":
                    api.finish("response", body, dict(self.headers))
                elif self.path == base + "error":
                    api.finish("error", body, dict(self.headers))
                elif self.path == "/2018-06-01/runtime/init/error":
                    api.finish("init_error", body, dict(self.headers))
                else:
                    api.note_unexpected(f"POST {self.path}")
                    return reply(self, 404, b'{"errorMessage":"unknown path"}')
                reply(self, 202, b'{"status":"OK"}')

        self.server = QuietServer(("127.0.0.1", 0), Handler)
        self.address = f"127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> RuntimeApi:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.closing.set()
        self.server.shutdown()
        self.server.server_close()

    def note_unexpected(self, what: str) -> None:
        with self.changed:
            self.unexpected.append(what)
            self.changed.notify_all()

    def next_invocation(self, handler: BaseHTTPRequestHandler) -> None:
        with self.changed:
            self.next_calls += 1
            first = self.next_calls == 1
            if first:
                self.first_next_at = time.monotonic()
            self.changed.notify_all()
        if not first or self.event is None:
            # No (further) event: hold the long poll until the environment goes away.
            self.closing.wait(600)
            handler.close_connection = True
            return
        deadline_ms = int((time.time() + self.deadline_seconds) * 1000)
        arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{self.function_name}"
        reply(
            handler,
            200,
            self.event,
            {
                "Lambda-Runtime-Aws-Request-Id": self.request_id,
                "Lambda-Runtime-Deadline-Ms": str(deadline_ms),
                "Lambda-Runtime-Invoked-Function-Arn": arn,
                "Lambda-Runtime-Trace-Id": "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0",
            },
        )

    def finish(self, kind: str, body: bytes, headers: dict) -> None:
        with self.changed:
            if self.outcome is None:
                self.outcome = (kind, body, headers)
                self.answered_at = time.monotonic()
            else:
                self.unexpected.append(f"a second outcome: {kind}")
            self.changed.notify_all()

    def wait_for(self, predicate: Callable[[], bool], timeout: float, process: subprocess.Popen) -> bool:
        """Waits until `predicate` holds, the process exits or `timeout` passes."""
        end = time.monotonic() + timeout
        with self.changed:
            while not predicate():
                if process.poll() is not None or self.outcome is not None and self.outcome[0] == "init_error":
                    return predicate()
                remaining = end - time.monotonic()
                if remaining <= 0:
                    return False
                self.changed.wait(min(remaining, 0.05))
            return True


class WarmRuntimeApi:
    """A Runtime API that hands out one event at a time, when the harness says, and times each
    invocation from the event's delivery (the answer to `next`) to the function's response, as
    Lambda bills it. Between invocations the function waits in `next`, as a warm one does."""

    def __init__(self, function_name: str, deadline_seconds: float):
        self.function_name = function_name
        self.deadline_seconds = deadline_seconds
        self.events: queue.Queue = queue.Queue()
        self.changed = threading.Condition()
        self.delivered: dict[str, float] = {}
        self.outcomes: dict[str, tuple[str, bytes, float]] = {}  # request id: (kind, body, at)
        self.closing = threading.Event()
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                if self.path != "/2018-06-01/runtime/invocation/next":
                    return reply(self, 404, b'{"errorMessage":"unknown path"}')
                while not api.closing.is_set():
                    try:
                        request_id, event = api.events.get(timeout=0.1)
                        break
                    except queue.Empty:
                        continue
                else:
                    self.close_connection = True
                    return
                arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{api.function_name}"
                headers = {
                    "Lambda-Runtime-Aws-Request-Id": request_id,
                    "Lambda-Runtime-Deadline-Ms": str(int((time.time() + api.deadline_seconds) * 1000)),
                    "Lambda-Runtime-Invoked-Function-Arn": arn,
                    "Lambda-Runtime-Trace-Id": "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=0",
                }
                with api.changed:
                    api.delivered[request_id] = time.monotonic()
                reply(self, 200, event, headers)

            def do_POST(self):
                body = read_body(self)
                parts = self.path.rstrip("/").split("/")
                if len(parts) == 6 and parts[-1] in ("response", "error"):
                    with api.changed:
                        api.outcomes[parts[-2]] = (parts[-1], body, time.monotonic())
                        api.changed.notify_all()
                    return reply(self, 202, b'{"status":"OK"}')
                reply(self, 404, b'{"errorMessage":"unknown path"}')

        self.server = QuietServer(("127.0.0.1", 0), Handler)
        self.address = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def invoke(self, event: bytes, timeout: float, process: subprocess.Popen) -> tuple[str, bytes, float]:
        """Hands the function `event`; its outcome and how long it took (ms), or raises CheckFailed."""
        request_id = str(uuid.uuid4())
        self.events.put((request_id, event))
        end = time.monotonic() + timeout
        with self.changed:
            while request_id not in self.outcomes:
                if process.poll() is not None:
                    raise CheckFailed(f"it exited with {process.returncode} during a warm invocation")
                if time.monotonic() > end:
                    raise CheckFailed(f"no answer to a warm invocation within {timeout:.0f} s")
                self.changed.wait(0.05)
            kind, body, at = self.outcomes[request_id]
            return kind, body, (at - self.delivered[request_id]) * 1000

    def close(self) -> None:
        self.closing.set()
        self.server.shutdown()
        self.server.server_close()


# --------------------------------------------------------------------------- the partner APIs


class PartnerApis:
    """The delivery company's and customer service's APIs: every call is kept, each gets 202."""

    def __init__(self):
        self.calls: list[dict] = []
        self.lock = threading.Lock()
        partners = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = read_body(self)
                try:
                    parsed = json.loads(body)
                except ValueError:
                    parsed = None
                with partners.lock:
                    partners.calls.append(
                        {
                            "path": self.path,
                            "idempotencyKey": self.headers.get("Idempotency-Key"),
                            "contentType": self.headers.get("Content-Type"),
                            "body": parsed,
                        }
                    )
                reply(self, 202, b'{"accepted":true}')

        self.server = QuietServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def calls_to(self, path: str) -> list[dict]:
        with self.lock:
            return [call for call in self.calls if call["path"] == path]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# --------------------------------------------------------------------------- moto


class Moto:
    """A moto_server of our own on a free loopback port, run from a scratch directory."""

    def __init__(self, moto_server: str, workdir: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / "moto_server.log"
        moto_dir = workdir / "moto"
        moto_dir.mkdir()
        self.process = subprocess.Popen(
            [moto_server, "-H", "127.0.0.1", "-p", str(self.port)],
            cwd=moto_dir,  # it writes its moto_recording file here
            stdout=open(self.log_path, "wb"),
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        end = time.monotonic() + 60
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"moto_server exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url + "/moto-api/data.json", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > end:
                raise RuntimeError(f"moto_server did not answer within 60 s:\n{self.log_tail()}")
            time.sleep(0.2)
        self.session = boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
        )

    def client(self, service: str):
        return self.session.client(service, endpoint_url=self.url)

    def data(self) -> dict:
        with urllib.request.urlopen(self.url + "/moto-api/data.json", timeout=10) as answer:
            return json.load(answer)

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@dataclass
class Shop:
    """The AWS resources the functions use, made in moto, and the readers the checks need."""

    moto: Moto
    partners: PartnerApis
    delivery_queue_url: str = ""
    feedback_queue_url: str = ""

    def create(self) -> None:
        dynamodb = self.moto.client("dynamodb")
        dynamodb.create_table(
            TableName=TABLE,
            AttributeDefinitions=[
                {"AttributeName": name, "AttributeType": "S"} for name in ("orderId", OUTBOX_BUCKET, OUTBOX_SINCE)
            ],
            KeySchema=[{"AttributeName": "orderId", "KeyType": "HASH"}],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": PENDING_EVENTS_INDEX,
                    "KeySchema": [
                        {"AttributeName": OUTBOX_BUCKET, "KeyType": "HASH"},
                        {"AttributeName": OUTBOX_SINCE, "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": [PENDING_EVENTS]},
                }
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        kinesis = self.moto.client("kinesis")
        kinesis.create_stream(StreamName=STREAM, ShardCount=1)
        for _ in range(100):
            if kinesis.describe_stream_summary(StreamName=STREAM)["StreamDescriptionSummary"]["StreamStatus"] == "ACTIVE":
                break
            time.sleep(0.1)
        sqs = self.moto.client("sqs")
        self.delivery_queue_url = sqs.create_queue(QueueName=DELIVERY_QUEUE)["QueueUrl"]
        self.feedback_queue_url = sqs.create_queue(QueueName=FEEDBACK_QUEUE)["QueueUrl"]
        self.moto.client("sesv2").create_email_identity(EmailIdentity=SENDER_EMAIL)
        ssm = self.moto.client("ssm")
        ssm.put_parameter(Name=SIGNING_SECRET_PARAMETER, Type="SecureString", Value=SIGNING_SECRET)
        ssm.put_parameter(Name=BAKER_API_KEY_PARAMETER, Type="SecureString", Value=BAKER_API_KEY)

    def function_env(self, name: str) -> dict[str, str]:
        """What serverless.yml gives each function, pointed at this shop."""
        table = {"ORDERS_TABLE": TABLE}
        signing = {"SIGNING_SECRET_PARAMETER": SIGNING_SECRET_PARAMETER}
        baker_key = {"BAKER_API_KEY_PARAMETER": BAKER_API_KEY_PARAMETER}
        return {
            "place-order": {**table, "ORDER_STREAM": STREAM, **signing},
            "notify-baker": {
                **table,
                "SENDER_EMAIL": SENDER_EMAIL,
                "BAKER_EMAIL": BAKER_EMAIL,
                "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
                **signing,
            },
            "fulfill-order": {
                **table,
                "ORDER_STREAM": STREAM,
                "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
                **signing,
                **baker_key,
            },
            "request-delivery": {**table, "DELIVERY_QUEUE_URL": self.delivery_queue_url},
            "notify-delivery": {**table, "DELIVERY_API_URL": self.partners.base_url + "/delivery"},
            "confirm-delivery": {**table, "FEEDBACK_QUEUE_URL": self.feedback_queue_url, **signing},
            "forward-feedback": {
                **table,
                "CUSTOMER_SERVICE_API_URL": self.partners.base_url + "/customer-service",
            },
            "order-queries": {**table, **signing, **baker_key},
            "relay-events": {**table, "ORDER_STREAM": STREAM, "RELAY_AFTER_SECONDS": RELAY_AFTER_SECONDS},
            PYTHON_BASELINE: table,
        }[name]

    # ---- reading what the functions did

    def order(self, order_id: str) -> dict | None:
        item = self.moto.client("dynamodb").get_item(TableName=TABLE, Key={"orderId": {"S": order_id}}, ConsistentRead=True)
        return item.get("Item")

    def put_order(self, item: dict) -> None:
        self.moto.client("dynamodb").put_item(TableName=TABLE, Item=item)

    def marked_orders(self) -> list[str]:
        """Every order that still carries an outbox attribute (a Scan: fine for a check)."""
        dynamodb = self.moto.client("dynamodb")
        marked, start = [], {}
        while True:
            page = dynamodb.scan(TableName=TABLE, ConsistentRead=True, **start)
            marked += [i["orderId"]["S"] for i in page["Items"] if any(a in i for a in OUTBOX_ATTRIBUTES)]
            if "LastEvaluatedKey" not in page:
                return marked
            start = {"ExclusiveStartKey": page["LastEvaluatedKey"]}

    def stream_events(self) -> list[dict]:
        kinesis = self.moto.client("kinesis")
        events = []
        for shard in kinesis.list_shards(StreamName=STREAM)["Shards"]:
            iterator = kinesis.get_shard_iterator(
                StreamName=STREAM, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
            while iterator:
                page = kinesis.get_records(ShardIterator=iterator)
                if not page["Records"]:
                    break
                for record in page["Records"]:
                    events.append({"partitionKey": record["PartitionKey"], **json.loads(record["Data"])})
                iterator = page.get("NextShardIterator")
        return events

    def take_messages(self, queue_url: str) -> list[dict]:
        """Every message now on the queue, removed from it."""
        sqs = self.moto.client("sqs")
        taken = []
        while True:
            page = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
            messages = page.get("Messages", [])
            if not messages:
                return taken
            for message in messages:
                taken.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])

    def sent_emails(self) -> list[dict]:
        return self.moto.data().get("ses", {}).get("Message", [])


# --------------------------------------------------------------------------- the functions


def sample_order(events_dir: Path) -> dict:
    """The order in the order_placed record of notify-baker's sample (what place-order stored)."""
    sample = json.loads((events_dir / "notify-baker.json").read_text())
    placed = json.loads(base64.b64decode(sample["Records"][0]["kinesis"]["data"]))
    expect(placed.get("type") == "order_placed", "notify-baker's sample record is not an order_placed event")
    return placed["order"]


def order_item(order: dict, steps_done: int) -> dict:
    """The stored order after the first `steps_done` steps of its journey (crates/aws order_item.rs)."""
    customer = order["customer"]
    item = {
        "orderId": {"S": order["orderId"]},
        "status": {"S": JOURNEY[steps_done - 1][1]},
        "customerName": {"S": customer["name"]},
        "address": {"S": customer["address"]},
        "productId": {"S": order["productId"]},
        "productName": {"S": order["productName"]},
        "quantity": {"N": str(order["quantity"])},
        "unitPriceCents": {"N": str(order["unitPriceCents"])},
        "totalCents": {"N": str(order["totalCents"])},
        "createdAt": {"S": order["createdAt"]},
        "history": {"M": {step: {"S": at} for step, _, at in JOURNEY[:steps_done]}},
    }
    for optional in ("email", "notes"):
        if customer.get(optional):
            item[optional] = {"S": customer[optional]}
    return item


def sortable_time(at: str) -> str:
    """A JOURNEY time as outboxSince holds it: RFC 3339 UTC with exactly three fractional digits."""
    expect(at.endswith("Z") and "." not in at, f"unexpected journey time {at}")
    return at[:-1] + ".000Z"


def mark_pending(item: dict, kind: str, since: str) -> dict:
    """The item with `kind` marked unpublished since `since`, as a crash after the write left it."""
    return {
        **item,
        PENDING_EVENTS: {"SS": [kind]},
        OUTBOX_BUCKET: {"S": "pending"},
        OUTBOX_SINCE: {"S": sortable_time(since)},
    }


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
    expect(
        outcome == {"batchItemFailures": []},
        f"expected {{\"batchItemFailures\": []}}, got {json.dumps(outcome)}",
    )


@dataclass
class Scenario:
    """How to prepare for one function's sample and check what the function did."""

    seed_steps: int | None  # the order's journey so far, or None to seed nothing
    check: Callable[[Shop, dict, dict, str], None]  # (shop, answer, before, order_id)
    before: Callable[[Shop, str], dict] = lambda shop, order_id: {}
    # An event the seeded order's last step left unpublished in the outbox, as a crash would.
    seed_pending: str | None = None


def check_place_order(shop: Shop, answer: dict, before: dict, _: str) -> None:
    body = http_answer(answer, 201)
    order_id = body.get("orderId")
    expect(isinstance(order_id, str) and order_id, f"no orderId in {body}")
    expect(body.get("status") == "placed", f"status {body.get('status')!r}, expected 'placed'")
    expect(isinstance(body.get("customerToken"), str) and body["customerToken"], "no customerToken")
    expect(body.get("totalCents") == 3450, f"totalCents {body.get('totalCents')}, expected 3450")
    item = shop.order(order_id)
    expect(item is not None, f"order {order_id} is not in the DynamoDB table")
    expect(item["status"]["S"] == "placed", f"stored status {item['status']['S']!r}")
    placed = [e for e in shop.stream_events() if e.get("type") == "order_placed" and e.get("orderId") == order_id]
    expect(len(placed) == 1, f"expected one order_placed record for {order_id} on the stream, found {len(placed)}")
    expect(placed[0]["partitionKey"] == order_id, "the stream record's partition key is not the order id")
    expect(not outbox_left(item), f"the published order_placed is still marked in the outbox: {outbox_left(item)}")


def emails_to_baker(shop: Shop) -> list[dict]:
    return [m for m in shop.sent_emails() if BAKER_EMAIL in (m.get("destinations") or {}).get("ToAddresses", [])]


def check_notify_baker(shop: Shop, answer: dict, before: dict, order_id: str) -> None:
    no_batch_failures(answer)
    emails = emails_to_baker(shop)
    expect(len(emails) == before["emails"] + 1, f"expected one new email to {BAKER_EMAIL} in SES, found {len(emails) - before['emails']}")
    email = emails[-1]
    expect(email.get("source") == SENDER_EMAIL, f"email from {email.get('source')!r}")
    expect(order_id in json.dumps(email), "the baker's email does not mention the order id")
    expect(f"{PUBLIC_BASE_URL}/order/fulfilled?token=" in email.get("body", ""), "no confirmation link in the email")
    expect("baker_notified" in stored_steps(shop.order(order_id)), "baker_notified not recorded")


def check_fulfill_order(shop: Shop, answer: dict, before: dict, order_id: str) -> None:
    body = http_answer(answer, 200)
    expect(body.get("status") == "fulfilled", f"status {body.get('status')!r}, expected 'fulfilled'")
    expect(shop.order(order_id)["status"]["S"] == "fulfilled", "the stored order is not fulfilled")
    fulfilled = [e for e in shop.stream_events() if e.get("type") == "order_fulfilled" and e.get("orderId") == order_id]
    expect(len(fulfilled) == before["fulfilled"] + 1, "no new order_fulfilled record on the stream")
    left = outbox_left(shop.order(order_id))
    expect(not left, f"the published order_fulfilled is still marked in the outbox: {left}")


def check_request_delivery(shop: Shop, answer: dict, before: dict, order_id: str) -> None:
    no_batch_failures(answer)
    item = shop.order(order_id)
    expect(item["status"]["S"] == "out_for_delivery", f"stored status {item['status']['S']!r}")
    expect("delivery_requested" in stored_steps(item), "delivery_requested not recorded")
    messages = shop.take_messages(shop.delivery_queue_url)
    expect(
        [m.get("orderId") for m in messages] == [order_id],
        f"expected one delivery request for {order_id} on the delivery queue, found {messages}",
    )


def partner_checker(path: str, step: str, key_prefix: str):
    def check(shop: Shop, answer: dict, before: dict, order_id: str) -> None:
        no_batch_failures(answer)
        calls = shop.partners.calls_to(path)[before["calls"] :]
        expect(len(calls) == 1, f"expected one call to {path}, got {len(calls)}")
        expect(calls[0]["body"] and calls[0]["body"].get("orderId") == order_id, f"the call's body: {calls[0]['body']}")
        expect(calls[0]["idempotencyKey"] == f"{key_prefix}:{order_id}", f"Idempotency-Key {calls[0]['idempotencyKey']!r}")
        expect(step in stored_steps(shop.order(order_id)), f"{step} not recorded")

    return check


def check_confirm_delivery(shop: Shop, answer: dict, before: dict, order_id: str) -> None:
    body = http_answer(answer, 200)
    expect(body.get("status") == "delivered", f"status {body.get('status')!r}, expected 'delivered'")
    expect(shop.order(order_id)["status"]["S"] == "delivered", "the stored order is not delivered")
    messages = shop.take_messages(shop.feedback_queue_url)
    expect(len(messages) == 1 and messages[0].get("orderId") == order_id, f"feedback queue holds {messages}")
    expect(messages[0].get("rating") == 5, f"feedback rating {messages[0].get('rating')}")


def check_order_queries(shop: Shop, answer: dict, before: dict, order_id: str) -> None:
    body = http_answer(answer, 200)
    expect(body.get("orderId") == order_id and body.get("status") == "delivered", f"got {body}")
    expect([entry.get("step") for entry in body.get("history", [])] == STEPS, f"history {body.get('history')}")


def check_relay_events(shop: Shop, answer: dict, before: dict, order_id: str) -> None:
    expect(answer.get("published") == 1, f"expected a report of one published event, got {answer}")
    new = shop.stream_events()[before["events"] :]
    expect(len(new) == 1, f"expected exactly one new record on the stream, found {len(new)}: {new}")
    record = new[0]
    expect(
        (record.get("type"), record.get("orderId"), record["partitionKey"]) == ("order_fulfilled", order_id, order_id),
        f"expected order_fulfilled for {order_id} keyed by it, got {record}",
    )
    fulfilled_at = next(at for step, _, at in JOURNEY if step == "fulfilled")
    expect(record.get("occurredAt") == fulfilled_at, f"occurredAt {record.get('occurredAt')}, expected {fulfilled_at}")
    earlier = [e for e in before["fulfilled"] if e.get("orderId") == order_id]
    expect(
        all(e.get("eventId") == record.get("eventId") for e in earlier),
        f"the relayed event id {record.get('eventId')} differs from fulfill-order's {[e.get('eventId') for e in earlier]}",
    )
    item = shop.order(order_id)
    expect(not outbox_left(item), f"the relayed event's mark is not cleared: {outbox_left(item)}")
    expect(item["status"]["S"] == "fulfilled", f"the relay changed the order's status to {item['status']['S']!r}")
    marked = shop.marked_orders()
    expect(not marked, f"orders still marked in the outbox after every function ran: {marked}")


def relay_before(shop: Shop, order_id: str) -> dict:
    events = shop.stream_events()
    return {"events": len(events), "fulfilled": [e for e in events if e.get("type") == "order_fulfilled"]}


SCENARIOS: dict[str, Scenario] = {
    "place-order": Scenario(None, check_place_order),
    "notify-baker": Scenario(1, check_notify_baker, lambda shop, _: {"emails": len(emails_to_baker(shop))}),
    "fulfill-order": Scenario(
        2,
        check_fulfill_order,
        lambda shop, oid: {
            "fulfilled": sum(1 for e in shop.stream_events() if e.get("type") == "order_fulfilled" and e.get("orderId") == oid)
        },
    ),
    "request-delivery": Scenario(3, check_request_delivery, lambda shop, _: {"drained": shop.take_messages(shop.delivery_queue_url)}),
    "notify-delivery": Scenario(
        4,
        partner_checker("/delivery", "courier_notified", "delivery"),
        lambda shop, _: {"calls": len(shop.partners.calls_to("/delivery"))},
    ),
    "confirm-delivery": Scenario(5, check_confirm_delivery, lambda shop, _: {"drained": shop.take_messages(shop.feedback_queue_url)}),
    "forward-feedback": Scenario(
        6,
        partner_checker("/customer-service", "feedback_forwarded", "feedback"),
        lambda shop, _: {"calls": len(shop.partners.calls_to("/customer-service"))},
    ),
    "order-queries": Scenario(7, check_order_queries),
    # Runs last: by then no other function may have left a mark behind.
    "relay-events": Scenario(3, check_relay_events, relay_before, seed_pending="order_fulfilled"),
}


# --------------------------------------------------------------------------- running a binary


@dataclass
class Flavour:
    """One way of running the functions: which binary and under what."""

    label: str
    emulated: bool
    binaries: dict[str, Path]
    prefix: list[str] = field(default_factory=list)  # e.g. the emulator and the arm64 loader

    def command(self, name: str) -> list[str]:
        return [*self.prefix, str(self.binaries[name])]


@dataclass
class Run:
    init_ms: float | None = None
    invoke_ms: float | None = None
    peak_rss_kib: int | None = None
    outcome: tuple[str, bytes, dict] | None = None
    exit_code: int | None = None
    log: str = ""
    unexpected: list[str] = field(default_factory=list)


def peak_rss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def lambda_env(flavour: Flavour, name: str, api: RuntimeApi, shop: Shop, home: Path) -> dict[str, str]:
    """What the Lambda service sets for a provided.al2023 function, plus the function's own."""
    function = f"cakeshop-{STAGE}-{name}"
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "HOME": str(home),  # no ~/.aws of this machine's
        "_HANDLER": "bootstrap",
        "LAMBDA_TASK_ROOT": str(flavour.binaries[name].parent),
        "AWS_LAMBDA_RUNTIME_API": api.address,
        "AWS_LAMBDA_FUNCTION_NAME": function,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(MEMORY_MB),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function}",
        "AWS_LAMBDA_LOG_STREAM_NAME": f"2026/11/20/[$LATEST]{uuid.uuid4().hex}",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_ENDPOINT_URL": shop.moto.url,
        **shop.function_env(name),
    }


def run_function(flavour: Flavour, name: str, event: bytes, shop: Shop, workdir: Path, invoke: bool) -> Run:
    """Starts the binary, times its init to the first `next`; with `invoke`, hands it the event,
    waits for its answer and reads its peak RSS. Always stops it."""
    start_timeout = START_TIMEOUT_EMULATED if flavour.emulated else START_TIMEOUT_NATIVE
    invoke_timeout = INVOKE_TIMEOUT_EMULATED if flavour.emulated else INVOKE_TIMEOUT_NATIVE
    run = Run()
    log_path = workdir / f"{flavour.label.split()[0]}-{name}-{uuid.uuid4().hex[:8]}.log"
    with RuntimeApi(f"cakeshop-{STAGE}-{name}", event if invoke else None, invoke_timeout) as api, open(log_path, "wb") as log:
        env = lambda_env(flavour, name, api, shop, workdir)
        started = time.monotonic()
        process = subprocess.Popen(
            flavour.command(name), env=env, cwd=flavour.binaries[name].parent, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        try:
            if api.wait_for(lambda: api.first_next_at is not None, start_timeout, process):
                run.init_ms = (api.first_next_at - started) * 1000
                if invoke and api.wait_for(lambda: api.outcome is not None, invoke_timeout, process):
                    run.invoke_ms = (api.answered_at - api.first_next_at) * 1000
                    # Let it come back for the next event (the state Lambda freezes it in).
                    api.wait_for(lambda: api.next_calls >= 2, 5 if not flavour.emulated else 30, process)
                    run.peak_rss_kib = peak_rss_kib(process.pid)
            run.outcome = api.outcome
        finally:
            run.exit_code = process.poll()
            if run.exit_code is None:
                process.kill()
                process.wait()
        run.unexpected = list(api.unexpected)
    run.log = log_path.read_text(errors="replace")
    return run


def describe_failure(run: Run) -> str:
    lines = []
    if run.init_ms is None:
        lines.append("the function never asked for an event (no GET /runtime/invocation/next)")
    if run.outcome and run.outcome[0] != "response":
        lines.append(f"it reported {run.outcome[0]}: {run.outcome[1].decode(errors='replace')}")
    if run.exit_code is not None:
        lines.append(f"it exited with {run.exit_code} on its own")
    if run.unexpected:
        lines.append(f"unexpected runtime API calls: {run.unexpected}")
    lines.append("its output:\n" + "\n".join("    " + line for line in run.log.strip().splitlines()[-40:]))
    return "\n".join(lines)


def check_function(flavour: Flavour, name: str, events_dir: Path, shop: Shop, order: dict, workdir: Path) -> Run:
    scenario = SCENARIOS[name]
    order_id = order["orderId"]
    if scenario.seed_steps is not None:
        item = order_item(order, scenario.seed_steps)
        if scenario.seed_pending is not None:
            item = mark_pending(item, scenario.seed_pending, JOURNEY[scenario.seed_steps - 1][2])
        shop.put_order(item)
    before = scenario.before(shop, order_id)
    event = (events_dir / f"{name}.json").read_bytes()
    run = run_function(flavour, name, event, shop, workdir, invoke=True)
    if run.outcome is None or run.outcome[0] != "response" or run.exit_code is not None or run.unexpected:
        raise CheckFailed(describe_failure(run))
    try:
        answer = json.loads(run.outcome[1])
    except ValueError as error:
        raise CheckFailed(f"the response is not JSON ({error}): {run.outcome[1][:500]!r}")
    try:
        scenario.check(shop, answer, before, order_id)
    except CheckFailed as failure:
        raise CheckFailed(f"{failure}\nits answer: {json.dumps(answer)[:1000]}\n{describe_failure(run)}") from None
    if run.peak_rss_kib is None:
        raise CheckFailed("could not read its peak RSS (VmHWM) after the invocation")
    return run


def seed_for(name: str, order: dict) -> dict | None:
    """The order item a function's sample expects to find, or None if it expects none."""
    scenario = SCENARIOS.get(name)
    if scenario is None or scenario.seed_steps is None:
        return None
    item = order_item(order, scenario.seed_steps)
    if scenario.seed_pending is not None:
        item = mark_pending(item, scenario.seed_pending, JOURNEY[scenario.seed_steps - 1][2])
    return item


def run_warm(flavour: Flavour, name: str, event: bytes, shop: Shop, order: dict, workdir: Path, count: int) -> dict:
    """One execution environment, 1 + `count` invocations of the sample in a row, the order
    re-seeded before each so that every one does the whole of its work (not an idempotent
    replay's shortcut). Returns the first invocation's time and the warm ones' (ms)."""
    invoke_timeout = INVOKE_TIMEOUT_EMULATED if flavour.emulated else INVOKE_TIMEOUT_NATIVE
    api = WarmRuntimeApi(f"cakeshop-{STAGE}-{name}", invoke_timeout)
    log_path = workdir / f"warm-{flavour.label.split()[0]}-{name}-{uuid.uuid4().hex[:8]}.log"
    seed = seed_for(name, order)
    durations = []
    try:
        with open(log_path, "wb") as log:
            env = lambda_env(flavour, name, api, shop, workdir)
            process = subprocess.Popen(
                flavour.command(name), env=env, cwd=flavour.binaries[name].parent, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
            try:
                for _ in range(1 + count):
                    if seed is not None:
                        shop.put_order(seed)
                    kind, body, took = api.invoke(event, invoke_timeout, process)
                    if kind != "response":
                        raise CheckFailed(f"a warm invocation reported {kind}: {body[:500]!r}")
                    durations.append(took)
            finally:
                if process.poll() is None:
                    process.kill()
                process.wait()
    except CheckFailed as failure:
        raise CheckFailed(f"{failure}\nits output:\n{log_path.read_text(errors='replace')[-3000:]}") from None
    finally:
        api.close()
    warm = durations[1:]
    return {
        "firstInvokeMs": round(durations[0], 2),
        "warmInvokeMs": statistics.median(warm),
        "warmInvokeSamplesMs": [round(d, 2) for d in warm],
    }


def check_python_baseline(shop: Shop, answer: dict, before: dict, _: str) -> None:
    body = http_answer(answer, 201)
    order_id = body.get("orderId")
    expect(isinstance(order_id, str) and order_id, f"no orderId in {body}")
    item = shop.order(order_id)
    expect(item is not None, f"order {order_id} is not in the DynamoDB table")
    expect(item["status"]["S"] == "placed" and item["totalCents"]["N"] == "3450", f"stored item {item}")


def python_baseline_zip(into: Path) -> tuple[int, int]:
    """The baseline's deployment zip as the Python runtime takes it: the handler alone (boto3 is
    part of the runtime). Returns (zip bytes, handler bytes)."""
    handler = PYTHON_BASELINE_DIR / "handler.py"
    archive = into / "python-baseline.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        zipped.write(handler, "handler.py")
    return archive.stat().st_size, handler.stat().st_size


# --------------------------------------------------------------------------- artifacts


def unpack_zips(lambda_dir: Path, into: Path) -> tuple[dict[str, Path], list[tuple[str, int, int]]]:
    """Each function's bootstrap.zip unpacked on its own; checks it holds one aarch64 executable."""
    binaries, sizes = {}, []
    for name in FUNCTIONS:
        archive = lambda_dir / name / "bootstrap.zip"
        expect(archive.is_file(), f"{archive} is missing: did cargo lambda build run?")
        with zipfile.ZipFile(archive) as zipped:
            entries = zipped.infolist()
            expect([e.filename for e in entries] == ["bootstrap"], f"{archive} holds {[e.filename for e in entries]}, expected just bootstrap")
            expect((entries[0].external_attr >> 16) & 0o111 != 0, f"{archive}: bootstrap is not executable in the zip")
            target = into / name
            target.mkdir(parents=True)
            zipped.extract(entries[0], target)
        binary = target / "bootstrap"
        binary.chmod(0o755)
        header = binary.read_bytes()[:20]
        expect(header[:4] == b"\x7fELF", f"{archive}: bootstrap is not an ELF file")
        expect(int.from_bytes(header[18:20], "little") == 183, f"{archive}: bootstrap is not an aarch64 (EM_AARCH64) binary")
        binaries[name] = binary
        sizes.append((name, archive.stat().st_size, binary.stat().st_size))
    return binaries, sizes


def native_binaries(native_dir: Path) -> dict[str, Path]:
    binaries = {}
    for name in FUNCTIONS:
        binary = native_dir / name
        expect(binary.is_file() and os.access(binary, os.X_OK), f"{binary} is missing: did cargo build --profile lambda-release run?")
        binaries[name] = binary
    return binaries


# --------------------------------------------------------------------------- reporting


def mib(kib: int | None) -> str:
    return "-" if kib is None else f"{kib / 1024:.1f}"


def ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}" if value >= 100 else f"{value:.1f}"


def table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows)]
    line = lambda cells: "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))
    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])


# The shop's targets for each Lambda (benchmarks, not timed tests): cold init to the first `next`
# (x86_64 native, the numbers worth reading), the deployed zip and peak RSS.
TARGETS = {"coldInitMs": 15.0, "zipBytes": 3_000_000, "peakRssKiB": 30 * 1024}


def print_footprint(report: dict) -> None:
    """The cold-start and footprint table, the Python baseline beside the nine, targets marked."""
    runs = report["runs"]
    native = runs.get("x86_64 native", {})
    arm64 = runs.get("arm64 (qemu)", {})
    header = [
        "function", "zip MiB", "init ms x86_64", "init ms arm64/qemu", "RSS MiB x86_64", "RSS MiB arm64/qemu",
        "first invoke ms", "warm invoke ms",
    ]  # fmt: skip
    rows, missed = [], []
    for name in [*FUNCTIONS, PYTHON_BASELINE]:
        zipped = report["zips"].get(name, {}).get("zipBytes")
        n = native.get(name, {}) if name != PYTHON_BASELINE else report.get("pythonBaseline", {})
        a = arm64.get(name, {})
        if name != PYTHON_BASELINE:
            for key, value in (("coldInitMs", n.get("coldInitMs")), ("zipBytes", zipped), ("peakRssKiB", n.get("peakRssKiB"))):
                if value is not None and value > TARGETS[key]:
                    missed.append(f"{name} {key} {value:,.1f} > {TARGETS[key]:,}")
        rows.append([
            name,
            "-" if zipped is None else f"{zipped / 2**20:.2f}" if zipped >= 2**16 else f"{zipped / 2**20:.4f}",
            ms(n.get("coldInitMs")), ms(a.get("coldInitMs")), mib(n.get("peakRssKiB")), mib(a.get("peakRssKiB")),
            ms(n.get("firstInvokeMs")), ms(n.get("warmInvokeMs")),
        ])  # fmt: skip
    print("\nCold start and footprint, the Python baseline measured in the same run:")
    print(table(header, rows))
    print(
        f"targets per Lambda: cold init <= {TARGETS['coldInitMs']:.0f} ms (x86_64), zip <= {TARGETS['zipBytes'] / 1e6:.0f} MB, "
        f"peak RSS <= {TARGETS['peakRssKiB'] // 1024} MiB: " + ("all met" if not missed else "missed: " + "; ".join(missed))
    )
    print(
        f"{PYTHON_BASELINE}: python3 {sys.version.split()[0]} + boto3 from the check's venv, run by a minimal runtime API loop\n"
        "  (tools/lambda/python_baseline/bootstrap.py); it only does place-order's PutItem. Its zip is handler.py alone:\n"
        "  boto3 comes with the Lambda Python runtime, so it is not in the zip (nor in that size)."
    )
    print(f"warm invoke: median of {WARM_INVOCATIONS} invocations in one environment after its first, order re-seeded before each.")
    report["targets"] = {**TARGETS, "missed": missed}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events-dir", type=Path, required=True)
    parser.add_argument("--lambda-dir", type=Path, required=True, help="cargo lambda's output: <dir>/<name>/bootstrap.zip")
    parser.add_argument("--native-dir", type=Path, required=True, help="host builds of the same binaries: <dir>/<name>")
    parser.add_argument("--moto-server", required=True)
    parser.add_argument("--qemu", help="qemu-aarch64(-static); without it the arm64 artifacts are not run")
    parser.add_argument("--arm64-loader", help="the aarch64 glibc loader (ld-linux-aarch64.so.1) qemu runs them with")
    parser.add_argument("--no-qemu-reason", default="no qemu-aarch64 given")
    parser.add_argument("--init-samples", type=int, default=5, help="cold starts timed per native binary (median)")
    parser.add_argument("--report", type=Path, help="write every number as JSON here")
    args = parser.parse_args()
    # Processes start in other directories: make every path absolute first.
    for name in ("events_dir", "lambda_dir", "native_dir", "report"):
        if getattr(args, name) is not None:
            setattr(args, name, getattr(args, name).resolve())
    for name in ("moto_server", "qemu", "arm64_loader"):
        value = getattr(args, name)
        if value and os.sep in value:
            setattr(args, name, str(Path(value).resolve()))

    workdir = Path(tempfile.mkdtemp(prefix="cakeshop-lambda-check-"))
    failures: list[tuple[str, str, str]] = []
    passed = 0
    results: dict[str, dict[str, dict]] = {}
    report: dict[str, Any] = {"zips": {}, "runs": results}
    moto = partners = None
    try:
        order = sample_order(args.events_dir)
        arm64_binaries, zip_sizes = unpack_zips(args.lambda_dir, workdir / "arm64")
        native = native_binaries(args.native_dir)

        print("\nLambda artifacts (cargo lambda build --profile lambda-release --arm64 --output-format zip):")
        print(table(
            ["function", "bootstrap.zip (bytes)", "zip (MiB)", "bootstrap unzipped (MiB)", "x86_64 binary (MiB)"],
            [[n, f"{z:,}", f"{z / 2**20:.2f}", f"{b / 2**20:.2f}", f"{native[n].stat().st_size / 2**20:.2f}"] for n, z, b in zip_sizes],
        ))
        total = sum(z for _, z, _ in zip_sizes)
        print(f"total of the {len(zip_sizes)} zips: {total:,} bytes ({total / 2**20:.1f} MiB)")
        report["zips"] = {n: {"zipBytes": z, "bootstrapBytes": b, "nativeBytes": native[n].stat().st_size} for n, z, b in zip_sizes}

        flavours = [Flavour("x86_64 native", False, native)]
        if args.qemu:
            expect(args.arm64_loader is not None, "--qemu needs --arm64-loader")
            loader = Path(args.arm64_loader)
            # The loader is named explicitly: Debian 12's qemu 7.2 fails (silently, exit 1) to
            # load these zig-linked PIEs itself, while the aarch64 glibc loader maps them fine.
            prefix = [args.qemu, str(loader), "--library-path", str(loader.parent)]
            flavours.insert(0, Flavour("arm64 (qemu)", True, arm64_binaries, prefix))
        else:
            print(f"\nNOTE: the arm64 artifacts are NOT run: {args.no_qemu_reason}.")
            print("      Falling back to host-native builds of the same binaries for every check.")
        report["arm64Run"] = bool(args.qemu)

        moto = Moto(args.moto_server, workdir)
        partners = PartnerApis()
        shop = Shop(moto, partners)
        shop.create()
        print(f"\nmoto on {moto.url}, partner APIs on {partners.base_url}, runtime API per function on 127.0.0.1")

        python = Flavour(
            "python baseline", False, {PYTHON_BASELINE: PYTHON_BASELINE_DIR / "bootstrap.py"}, [sys.executable]
        )
        python_zip, python_source = python_baseline_zip(workdir)
        report["zips"][PYTHON_BASELINE] = {"zipBytes": python_zip, "handlerBytes": python_source}

        for flavour in flavours:
            print(f"\n== {flavour.label}: each bootstrap on its sample event")
            results[flavour.label] = {}
            for name in FUNCTIONS:
                try:
                    run = check_function(flavour, name, args.events_dir, shop, order, workdir)
                except CheckFailed as failure:
                    failures.append((flavour.label, name, str(failure)))
                    print(f"FAIL {name}")
                    continue
                except Exception:
                    failures.append((flavour.label, name, traceback.format_exc()))
                    print(f"FAIL {name} (error in the check itself)")
                    continue
                passed += 1
                samples = [run.init_ms]
                extra = 0 if flavour.emulated else max(0, args.init_samples - 1)
                for _ in range(extra):
                    cold = run_function(flavour, name, b"", shop, workdir, invoke=False)
                    if cold.init_ms is None:
                        failures.append((flavour.label, name, "a cold start did not reach its first next:\n" + describe_failure(cold)))
                        break
                    samples.append(cold.init_ms)
                results[flavour.label][name] = {
                    "coldInitMs": statistics.median(samples),
                    "coldInitSamplesMs": [round(s, 2) for s in samples],
                    "invokeMs": run.invoke_ms,
                    "peakRssKiB": run.peak_rss_kib,
                }
                print(f"ok   {name}: init {ms(statistics.median(samples))} ms, invoke {ms(run.invoke_ms)} ms, peak RSS {mib(run.peak_rss_kib)} MiB")

        # The baseline: the same runtime API and moto, place-order's sample, the same timings.
        print(f"\n== {python.label}: place-order's DynamoDB put with boto3 (tools/lambda/python_baseline)")
        baseline: dict[str, Any] = {}
        try:
            event = (args.events_dir / "place-order.json").read_bytes()
            run = run_function(python, PYTHON_BASELINE, event, shop, workdir, invoke=True)
            if run.outcome is None or run.outcome[0] != "response" or run.exit_code is not None or run.unexpected:
                raise CheckFailed(describe_failure(run))
            check_python_baseline(shop, json.loads(run.outcome[1]), {}, "")
            samples = [run.init_ms]
            for _ in range(max(0, args.init_samples - 1)):
                cold = run_function(python, PYTHON_BASELINE, b"", shop, workdir, invoke=False)
                expect(cold.init_ms is not None, "a cold start did not reach its first next:\n" + describe_failure(cold))
                samples.append(cold.init_ms)
            baseline = {
                "coldInitMs": statistics.median(samples),
                "coldInitSamplesMs": [round(x, 2) for x in samples],
                "invokeMs": run.invoke_ms,
                "peakRssKiB": run.peak_rss_kib,
            }
            baseline.update(run_warm(python, PYTHON_BASELINE, event, shop, order, workdir, WARM_INVOCATIONS))
            report["pythonBaseline"] = baseline
            print(
                f"ok   {PYTHON_BASELINE}: init {ms(baseline['coldInitMs'])} ms, invoke {ms(run.invoke_ms)} ms, "
                f"warm {ms(baseline['warmInvokeMs'])} ms, peak RSS {mib(run.peak_rss_kib)} MiB"
            )
        except Exception as error:
            detail = str(error) if isinstance(error, CheckFailed) else traceback.format_exc()
            failures.append((python.label, PYTHON_BASELINE, detail))
            print(f"FAIL {PYTHON_BASELINE}")

        # Warm invocations (what Lambda bills once an environment is up): host-native only, the
        # emulator's times say nothing. tools/lambda/cost.py reads them.
        native_label = "x86_64 native"
        print(f"\n== {native_label}: {WARM_INVOCATIONS} warm invocations after the first, per function")
        for name in FUNCTIONS:
            if name not in results.get(native_label, {}):
                continue  # it failed its check: reported above
            try:
                warm = run_warm(flavours[-1], name, (args.events_dir / f"{name}.json").read_bytes(), shop, order, workdir, WARM_INVOCATIONS)
            except Exception as error:
                detail = str(error) if isinstance(error, CheckFailed) else traceback.format_exc()
                failures.append((native_label, name, "warm invocations: " + detail))
                print(f"FAIL {name} (warm invocations)")
                continue
            results[native_label][name].update(warm)
            print(f"ok   {name}: first {ms(warm['firstInvokeMs'])} ms, warm median {ms(warm['warmInvokeMs'])} ms {warm['warmInvokeSamplesMs']}")
    except CheckFailed as failure:
        failures.append(("setup", "-", str(failure)))
    except Exception:
        failures.append(("setup", "-", traceback.format_exc()))
    finally:
        if partners:
            partners.close()
        if moto:
            moto.close()

    if results:
        print("\nCold init (exec to the first GET /runtime/invocation/next) and peak RSS (VmHWM after one invocation):")
        labels = list(results)
        header = ["function"]
        for label in labels:
            header += [f"{label} init ms", f"{label} invoke ms", f"{label} RSS MiB"]
        rows = []
        for name in FUNCTIONS:
            row = [name]
            for label in labels:
                r = results[label].get(name, {})
                row += [ms(r.get("coldInitMs")), ms(r.get("invokeMs")), mib(r.get("peakRssKiB"))]
            rows.append(row)
        print(table(header, rows))
        if "x86_64 native" in results:
            print(f"x86_64 native: init is the median of {args.init_samples} cold starts; these are the numbers to use.")
        if "arm64 (qemu)" in results:
            print("arm64 (qemu): the deployed artifact under user-mode emulation; its init and invoke times are the")
            print("  emulator's (translation, not the code) and its RSS is the qemu process's (emulator included).")
        print("Secrets came from SSM SecureString parameters; every AWS call went to moto on loopback.")
        print_footprint(report)

    if args.report:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(json.dumps(report, indent=2) + "\n")
        print(f"numbers written to {args.report}")

    for label, name, message in failures:
        print(f"\n---- FAILED: {label} / {name}\n{message}", file=sys.stderr)
    if not failures:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        print(f"\n(logs kept in {workdir})", file=sys.stderr)
    if not args.qemu:
        print(f"\nNOTE: only host-native builds were run; the arm64 artifacts were not ({args.no_qemu_reason}).")
    print(f"\nlambda-check: {passed} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
