"""The sample order's journey, and storing it at any step through the Rust DynamoDB adapter.

Each function's sample expects the order the previous function left behind. The check does not
write that item itself: `cakeshop store-order` (crates/cli/src/store_order.rs) creates it and
takes it along its journey with `cakeshop_aws::DynamoOrders`, as the functions would, so the
item has every attribute the adapter writes (the status index's key, the outbox marks).
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
from pathlib import Path

from .expect import CheckFailed, expect
from .moto_server import CREDENTIALS

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


def step_time(step: str) -> str:
    return next(at for name, _, at in JOURNEY if name == step)


def sample_order(events_dir: Path) -> dict:
    """The order in the order_placed record of notify-baker's sample (what place-order stored)."""
    sample = json.loads((events_dir / "notify-baker.json").read_text())
    placed = json.loads(base64.b64decode(sample["Records"][0]["kinesis"]["data"]))
    expect(placed.get("type") == "order_placed", "notify-baker's sample record is not an order_placed event")
    return placed["order"]


class OrderStore:
    """`cakeshop store-order` against moto: the order table, and the sample order at a step."""

    def __init__(self, cakeshop: Path, endpoint_url: str, region: str, order: dict, workdir: Path):
        self.cakeshop = cakeshop
        self.table = ""
        self.order_path = workdir / "sample-order.json"
        self.order_path.write_text(json.dumps(order))
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(workdir),  # no ~/.aws of this machine's
            "AWS_ENDPOINT_URL": endpoint_url,
            "AWS_REGION": region,
            **CREDENTIALS,
            "CAKESHOP_LOG": "warn",
        }

    def create_table(self, name: str) -> None:
        """The table as `cakeshop dev --backend aws --provision` makes it (cakeshop_aws::order_table)."""
        self.table = name
        self.run("--create-table")

    def store(self, steps_done: int, unpublished: str | None = None) -> None:
        """The order after the first `steps_done` steps, every event published but `unpublished`."""
        args = [f"--step={step}={at}" for step, _, at in JOURNEY[1:steps_done]]
        if unpublished is not None:
            args.append(f"--unpublished={unpublished}")
        self.run(f"--order={self.order_path}", *args)

    def run(self, *args: str) -> None:
        command = [str(self.cakeshop), "store-order", f"--table={self.table}", *args]
        done = subprocess.run(command, env=self.env, capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise CheckFailed(f"{' '.join(command)} failed (exit {done.returncode}):\n{done.stdout}{done.stderr}")
