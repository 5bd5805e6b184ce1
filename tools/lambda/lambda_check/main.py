"""Runs every Lambda's real `bootstrap` binary against a local Lambda Runtime API and moto.

The functions, and what each is given, come from the packaged CloudFormation template (what
`osls package` makes of serverless.yml; tools/lambda-check passes it). This stands up the
template's table, stream and queues in moto, starts each binary as Lambda would (the runtime API
address, the template's function name, memory and environment, its references resolved to those
resources and its secrets as SSM SecureString parameters), answers its first
`GET .../invocation/next` with the function's sample from events/, and checks what it answered
and what it did on the wire: the order in DynamoDB (and its outbox marks), the records on the
Kinesis stream, the messages on the SQS queues, the email in SES (all in moto) and the calls to
the two partner APIs (a small HTTP server here). The order each sample expects is stored first
through the Rust DynamoDB adapter (`cakeshop store-order`); the relay gets one that a "crash" left
with order_fulfilled unpublished.

Two ways of running the same code:
  arm64 (qemu)  the `bootstrap` from target/lambda/<name>/bootstrap.zip, the artifact that is
                deployed, under qemu-aarch64 user emulation: proves the artifact, but its
                timings are the emulator's.
  x86_64        host-native builds of the same binaries (same profile): the cold-init and memory
                numbers worth reading.

Usage: see --help; tools/lambda-check passes every path. Exits non-zero if any check failed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import report as out
from . import template as cfn
from .artifacts import native_binaries, unpack_zips
from .baseline import FLAVOUR as PYTHON, PYTHON_BASELINE, baseline_zip, measure_baseline
from .expect import CheckFailed, expect
from .moto_server import Moto
from .partners import PartnerApis
from .report import ARM64, NATIVE, WARM_INVOCATIONS, mib, ms
from .running import Deployed, Flavour, check_function, cold_inits, run_warm
from .scenarios import SCENARIOS
from .seeding import OrderStore, sample_order
from .shop import REGION, Shop


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="check_lambdas.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--template", type=Path, required=True, help="the packaged CloudFormation JSON (osls package)")
    parser.add_argument("--list-functions", action="store_true", help="print the template's functions (artifact names) and stop")
    parser.add_argument("--events-dir", type=Path)
    parser.add_argument("--lambda-dir", type=Path, help="cargo lambda's output: <dir>/<name>/bootstrap.zip")
    parser.add_argument("--native-dir", type=Path, help="host builds of the same binaries: <dir>/<name>")
    parser.add_argument("--moto-server")
    parser.add_argument("--cakeshop", type=Path, help="the cakeshop CLI, for `cakeshop store-order`")
    parser.add_argument("--qemu", help="qemu-aarch64(-static); without it the arm64 artifacts are not run")
    parser.add_argument("--arm64-loader", help="the aarch64 glibc loader (ld-linux-aarch64.so.1) qemu runs them with")
    parser.add_argument("--no-qemu-reason", default="no qemu-aarch64 given")
    parser.add_argument("--init-samples", type=int, default=5, help="cold starts timed per native binary (median)")
    parser.add_argument("--report", type=Path, help="write every number as JSON here")
    args = parser.parse_args()
    if not args.list_functions:
        needed = ("events_dir", "lambda_dir", "native_dir", "moto_server", "cakeshop")
        missing = ["--" + name.replace("_", "-") for name in needed if getattr(args, name) is None]
        if missing:
            parser.error("the following arguments are required: " + ", ".join(missing))
    # Processes start in other directories: make every path absolute first.
    for name in ("template", "events_dir", "lambda_dir", "native_dir", "cakeshop", "report"):
        if getattr(args, name) is not None:
            setattr(args, name, getattr(args, name).resolve())
    for name in ("moto_server", "qemu", "arm64_loader"):
        value = getattr(args, name)
        if value and os.sep in value:
            setattr(args, name, str(Path(value).resolve()))
    return args


@dataclass
class Tally:
    """What the run found: each failure (where, function, why), the checks passed, every number."""

    failures: list[tuple[str, str, str]] = field(default_factory=list)
    passed: int = 0
    report: dict[str, Any] = field(default_factory=lambda: {"zips": {}, "runs": {}})

    @property
    def results(self) -> dict[str, dict[str, dict]]:
        return self.report["runs"]

    def fail(self, where: str, name: str, why: str) -> None:
        self.failures.append((where, name, why))


def described(error: Exception) -> str:
    """A failed check says what it expected; anything else is a fault of the check itself, whose
    traceback says where (call it in the `except` that caught it)."""
    return str(error) if isinstance(error, CheckFailed) else traceback.format_exc()


def functions_to_run(in_template: dict[str, cfn.Function], tally: Tally) -> list[str]:
    """The template says which functions there are; the scenarios, in which order they run."""
    for name in in_template:
        if name not in SCENARIOS:
            tally.fail("template", name, f"{name} is in the template but lambda_check/scenarios.py has no scenario for it")
    for name in SCENARIOS:
        if name not in in_template:
            tally.fail("template", name, f"scenarios.py has a scenario for {name}, which the template does not deploy")
    return [name for name in SCENARIOS if name in in_template]


def flavours(args: argparse.Namespace, native: dict[str, Path], arm64: dict[str, Path]) -> list[Flavour]:
    """The arm64 artifacts under qemu where there is one, then the native builds."""
    found = [Flavour(NATIVE, False, native)]
    if args.qemu:
        expect(args.arm64_loader is not None, "--qemu needs --arm64-loader")
        loader = Path(args.arm64_loader)
        # The loader is named explicitly: Debian 12's qemu 7.2 fails (silently, exit 1) to load
        # these zig-linked PIEs itself, while the aarch64 glibc loader maps them fine.
        found.insert(0, Flavour(ARM64, True, arm64, [args.qemu, str(loader), "--library-path", str(loader.parent)]))
    else:
        print(f"\nNOTE: the arm64 artifacts are NOT run: {args.no_qemu_reason}.")
        print("      Falling back to host-native builds of the same binaries for every check.")
    return found


def check_each(flavour: Flavour, deployed: dict[str, Deployed], args, shop: Shop, store: OrderStore, order_id: str, workdir: Path, tally: Tally) -> None:
    """Each function on its sample, then (native only) its further cold starts."""
    print(f"\n== {flavour.label}: each bootstrap on its sample event")
    tally.results[flavour.label] = {}
    for name, function in deployed.items():
        try:
            run = check_function(flavour, function, (args.events_dir / f"{name}.json").read_bytes(), shop, store, order_id, workdir)
        except Exception as error:
            tally.fail(flavour.label, name, described(error))
            print(f"FAIL {name}" + ("" if isinstance(error, CheckFailed) else " (error in the check itself)"))
            continue
        tally.passed += 1
        extra, failed = cold_inits(flavour, function, shop, workdir, 0 if flavour.emulated else max(0, args.init_samples - 1))
        if failed:
            tally.fail(flavour.label, name, failed)
        samples = [run.init_ms, *extra]
        tally.results[flavour.label][name] = {
            "coldInitMs": statistics.median(samples),
            "coldInitSamplesMs": [round(s, 2) for s in samples],
            "invokeMs": run.invoke_ms,
            "peakRssKiB": run.peak_rss_kib,
        }
        print(f"ok   {name}: init {ms(statistics.median(samples))} ms, invoke {ms(run.invoke_ms)} ms, peak RSS {mib(run.peak_rss_kib)} MiB")


def check_baseline(deployed: dict[str, Deployed], args, shop: Shop, store: OrderStore, workdir: Path, tally: Tally) -> None:
    """The baseline: the same runtime API and moto, place-order's sample, the same timings."""
    print(f"\n== {PYTHON.label}: place-order's DynamoDB reads and transaction with boto3 (tools/lambda/python_baseline)")
    try:
        event = (args.events_dir / "place-order.json").read_bytes()
        baseline = measure_baseline(deployed["place-order"], event, shop, store, workdir, args.init_samples, WARM_INVOCATIONS)
    except Exception as error:
        tally.fail(PYTHON.label, PYTHON_BASELINE, described(error))
        print(f"FAIL {PYTHON_BASELINE}")
        return
    tally.report["pythonBaseline"] = baseline
    print(
        f"ok   {PYTHON_BASELINE}: init {ms(baseline['coldInitMs'])} ms, invoke {ms(baseline['invokeMs'])} ms, "
        f"warm {ms(baseline['warmInvokeMs'])} ms, peak RSS {mib(baseline['peakRssKiB'])} MiB"
    )


def time_warm(native: Flavour, deployed: dict[str, Deployed], args, shop: Shop, store: OrderStore, workdir: Path, tally: Tally) -> None:
    """Warm invocations (what Lambda bills once an environment is up): host-native only, the
    emulator's times say nothing. tools/lambda/cost.py reads them."""
    print(f"\n== {NATIVE}: {WARM_INVOCATIONS} warm invocations after the first, per function")
    for name, function in deployed.items():
        if name not in tally.results.get(NATIVE, {}):
            continue  # it failed its check: reported above
        try:
            warm = run_warm(native, function, (args.events_dir / f"{name}.json").read_bytes(), shop, store, workdir, WARM_INVOCATIONS)
        except Exception as error:
            tally.fail(NATIVE, name, "warm invocations: " + described(error))
            print(f"FAIL {name} (warm invocations)")
            continue
        tally.results[NATIVE][name].update(warm)
        print(f"ok   {name}: first {ms(warm['firstInvokeMs'])} ms, warm median {ms(warm['warmInvokeMs'])} ms {warm['warmInvokeSamplesMs']}")


def main() -> int:
    args = arguments()
    template = cfn.load(args.template)
    in_template = cfn.functions(template)
    if args.list_functions:
        print("\n".join(in_template))
        return 0

    workdir = Path(tempfile.mkdtemp(prefix="cakeshop-lambda-check-"))
    tally = Tally()
    functions = functions_to_run(in_template, tally)
    moto = partners = None
    try:
        order = sample_order(args.events_dir)
        arm64, zip_sizes = unpack_zips(functions, args.lambda_dir, workdir / "arm64")
        native = native_binaries(functions, args.native_dir)
        out.print_artifacts(zip_sizes, {n: native[n].stat().st_size for n in native})
        tally.report["zips"] = {n: {"zipBytes": z, "bootstrapBytes": b, "nativeBytes": native[n].stat().st_size} for n, z, b in zip_sizes}
        runs = flavours(args, native, arm64)
        tally.report["arm64Run"] = bool(args.qemu)

        moto = Moto(args.moto_server, workdir, REGION)
        partners = PartnerApis()
        shop = Shop(template, moto, partners)
        store = OrderStore(args.cakeshop, moto.url, REGION, order, workdir)
        shop.create(store.create_table)
        deployed = {n: Deployed(n, in_template[n].function_name, in_template[n].memory_mb, shop.environments[n]) for n in functions}
        print(f"\nmoto on {moto.url}, partner APIs on {partners.base_url}, runtime API per function on 127.0.0.1")
        print(f"functions, memory and environment from {args.template}")
        python_zip, python_source = baseline_zip(workdir)
        tally.report["zips"][PYTHON_BASELINE] = {"zipBytes": python_zip, "handlerBytes": python_source}

        for flavour in runs:
            check_each(flavour, deployed, args, shop, store, order["orderId"], workdir, tally)
        check_baseline(deployed, args, shop, store, workdir, tally)
        time_warm(runs[-1], deployed, args, shop, store, workdir, tally)
    except Exception as error:
        tally.fail("setup", "-", described(error))
    finally:
        if partners:
            partners.close()
        if moto:
            moto.close()

    if tally.results:
        out.print_runs(tally.results, functions, args.init_samples)
        out.print_footprint(tally.report, functions)
    if args.report:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(json.dumps(tally.report, indent=2) + "\n")
        print(f"numbers written to {args.report}")

    for label, name, message in tally.failures:
        print(f"\n---- FAILED: {label} / {name}\n{message}", file=sys.stderr)
    if not tally.failures:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        print(f"\n(logs kept in {workdir})", file=sys.stderr)
    if not args.qemu:
        print(f"\nNOTE: only host-native builds were run; the arm64 artifacts were not ({args.no_qemu_reason}).")
    print(f"\nlambda-check: {tally.passed} passed, {len(tally.failures)} failed")
    return 1 if tally.failures else 0
