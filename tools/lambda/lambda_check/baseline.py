"""The Python baseline (tools/lambda/python_baseline): place-order's DynamoDB reads and transaction with boto3, run
on the same runtime API and moto as the functions and timed the same way, to be measured beside
them. It is no function of the template's: it gets place-order's environment."""

from __future__ import annotations

import statistics
import sys
import zipfile
from pathlib import Path

from .expect import expect
from .running import Deployed, Flavour, answered, cold_inits, run_function, run_warm
from .scenarios import Case, http_answer
from .seeding import OrderStore
from .shop import Shop

PYTHON_BASELINE = "python-baseline"
PYTHON_BASELINE_DIR = Path(__file__).resolve().parents[1] / "python_baseline"
FLAVOUR = Flavour("python baseline", False, {PYTHON_BASELINE: PYTHON_BASELINE_DIR / "bootstrap.py"}, [sys.executable])


def baseline_zip(into: Path) -> tuple[int, int]:
    """The baseline's deployment zip as the Python runtime takes it: the handler alone (boto3 is
    part of the runtime). Returns (zip bytes, handler bytes)."""
    handler = PYTHON_BASELINE_DIR / "handler.py"
    archive = into / "python-baseline.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        zipped.write(handler, "handler.py")
    return archive.stat().st_size, handler.stat().st_size


def check_baseline(case: Case, answer: dict) -> None:
    body = http_answer(answer, 201)
    order_id = body.get("orderId")
    expect(isinstance(order_id, str) and order_id, f"no orderId in {body}")
    item = case.shop.order(order_id)
    expect(item is not None, f"order {order_id} is not in the DynamoDB table")
    expect(item["status"]["S"] == "placed" and item["totalCents"]["N"] == "3450", f"stored item {item}")


def measure_baseline(place_order: Deployed, event: bytes, shop: Shop, store: OrderStore, workdir: Path, init_samples: int, warm: int) -> dict:
    """Its check on place-order's sample, then cold starts and warm invocations; raises CheckFailed."""
    function = Deployed(PYTHON_BASELINE, PYTHON_BASELINE, place_order.memory_mb, place_order.env)
    run = run_function(FLAVOUR, function, event, shop, workdir)
    check_baseline(Case(shop, function.env, ""), answered(run))
    extra, failed = cold_inits(FLAVOUR, function, shop, workdir, max(0, init_samples - 1))
    expect(failed is None, failed or "")
    samples = [run.init_ms, *extra]
    return {
        "coldInitMs": statistics.median(samples),
        "coldInitSamplesMs": [round(x, 2) for x in samples],
        "invokeMs": run.invoke_ms,
        "peakRssKiB": run.peak_rss_kib,
        **run_warm(FLAVOUR, function, event, shop, store, workdir, warm),
    }
