"""Starting a function's bootstrap as Lambda does, and timing it: its init (exec to the first
`next`), its first invocation and peak RSS, and warm invocations in one environment."""

from __future__ import annotations

import json
import statistics
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from .expect import CheckFailed
from .moto_server import CREDENTIALS
from .runtime_api import Outcome, RuntimeApi
from .scenarios import SCENARIOS, Case
from .seeding import OrderStore
from .shop import ACCOUNT, REGION, Shop

START_TIMEOUT_NATIVE = 20.0
START_TIMEOUT_EMULATED = 120.0
INVOKE_TIMEOUT_NATIVE = 30.0
INVOKE_TIMEOUT_EMULATED = 120.0


@dataclass
class Flavour:
    """One way of running the functions: which binary and under what."""

    label: str
    emulated: bool
    binaries: dict[str, Path]
    prefix: list[str] = field(default_factory=list)  # e.g. the emulator and the arm64 loader

    def command(self, name: str) -> list[str]:
        return [*self.prefix, str(self.binaries[name])]

    def invoke_timeout(self) -> float:
        return INVOKE_TIMEOUT_EMULATED if self.emulated else INVOKE_TIMEOUT_NATIVE


@dataclass(frozen=True)
class Deployed:
    """A function as the template deploys it: its name there, memory and resolved environment."""

    name: str
    function_name: str
    memory_mb: int
    env: dict[str, str]


@dataclass
class Run:
    init_ms: float | None = None
    invoke_ms: float | None = None
    peak_rss_kib: int | None = None
    outcome: Outcome | None = None
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


def function_arn(function: Deployed) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function.function_name}"


def lambda_env(flavour: Flavour, function: Deployed, api: RuntimeApi, shop: Shop, home: Path) -> dict[str, str]:
    """What the Lambda service sets for a provided.al2023 function, plus the template's own."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "HOME": str(home),  # no ~/.aws of this machine's
        "_HANDLER": "bootstrap",
        "LAMBDA_TASK_ROOT": str(flavour.binaries[function.name].parent),
        "AWS_LAMBDA_RUNTIME_API": api.address,
        "AWS_LAMBDA_FUNCTION_NAME": function.function_name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_mb),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function.function_name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": f"2026/11/20/[$LATEST]{uuid.uuid4().hex}",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        **CREDENTIALS,
        "AWS_ENDPOINT_URL": shop.moto.url,
        **function.env,
    }


def start(flavour: Flavour, function: Deployed, env: dict[str, str], log) -> subprocess.Popen:
    return subprocess.Popen(
        flavour.command(function.name),
        env=env,
        cwd=flavour.binaries[function.name].parent,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )


def run_function(flavour: Flavour, function: Deployed, event: bytes | None, shop: Shop, workdir: Path) -> Run:
    """Starts the binary and times its init to the first `next`; given an event, hands it over,
    waits for the answer and reads the peak RSS. Always stops it."""
    start_timeout = START_TIMEOUT_EMULATED if flavour.emulated else START_TIMEOUT_NATIVE
    run = Run()
    log_path = workdir / f"{flavour.label.split()[0]}-{function.name}-{uuid.uuid4().hex[:8]}.log"
    with RuntimeApi(function_arn(function), flavour.invoke_timeout()) as api, open(log_path, "wb") as log:
        request_id = api.submit(event) if event is not None else None
        env = lambda_env(flavour, function, api, shop, workdir)
        started = time.monotonic()
        process = start(flavour, function, env, log)
        try:
            if api.wait_for(lambda: api.first_next_at is not None, start_timeout, process):
                run.init_ms = (api.first_next_at - started) * 1000
                if request_id and api.wait_for(lambda: request_id in api.outcomes, flavour.invoke_timeout(), process):
                    run.invoke_ms = api.took_ms(request_id)
                    # Let it come back for the next event (the state Lambda freezes it in).
                    api.wait_for(lambda: api.next_calls >= 2, 30 if flavour.emulated else 5, process)
                    run.peak_rss_kib = peak_rss_kib(process.pid)
            run.outcome = api.outcomes.get(request_id) or api.init_error
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
    if run.outcome and run.outcome.kind != "response":
        lines.append(f"it reported {run.outcome.kind}: {run.outcome.body.decode(errors='replace')}")
    if run.exit_code is not None:
        lines.append(f"it exited with {run.exit_code} on its own")
    if run.unexpected:
        lines.append(f"unexpected runtime API calls: {run.unexpected}")
    lines.append("its output:\n" + "\n".join("    " + line for line in run.log.strip().splitlines()[-40:]))
    return "\n".join(lines)


def answered(run: Run) -> dict:
    """The function's JSON answer, if it answered and did nothing else amiss."""
    if run.outcome is None or run.outcome.kind != "response" or run.exit_code is not None or run.unexpected:
        raise CheckFailed(describe_failure(run))
    try:
        return json.loads(run.outcome.body)
    except ValueError as error:
        raise CheckFailed(f"the response is not JSON ({error}): {run.outcome.body[:500]!r}")


def seed(store: OrderStore, name: str) -> None:
    """The order the function's sample expects to find, if it expects one."""
    scenario = SCENARIOS.get(name)
    if scenario is not None and scenario.seed_steps is not None:
        store.store(scenario.seed_steps, scenario.seed_unpublished)


def check_function(flavour: Flavour, function: Deployed, event: bytes, shop: Shop, store: OrderStore, order_id: str, workdir: Path) -> Run:
    """Seeds the order, runs the function on its sample and checks what it did."""
    scenario = SCENARIOS[function.name]
    seed(store, function.name)
    case = Case(shop, function.env, order_id)
    case.before = scenario.before(case)
    run = run_function(flavour, function, event, shop, workdir)
    answer = answered(run)
    case.log = run.log
    try:
        scenario.check(case, answer)
    except CheckFailed as failure:
        raise CheckFailed(f"{failure}\nits answer: {json.dumps(answer)[:1000]}\n{describe_failure(run)}") from None
    if run.peak_rss_kib is None:
        raise CheckFailed("could not read its peak RSS (VmHWM) after the invocation")
    return run


def cold_inits(flavour: Flavour, function: Deployed, shop: Shop, workdir: Path, count: int) -> tuple[list[float], str | None]:
    """Up to `count` more cold starts, each timed to its first `next`: their times, and what went
    wrong with the first that did not get there (it stops there), if one did not."""
    samples = []
    for _ in range(count):
        cold = run_function(flavour, function, None, shop, workdir)
        if cold.init_ms is None:
            return samples, "a cold start did not reach its first next:\n" + describe_failure(cold)
        samples.append(cold.init_ms)
    return samples, None


def run_warm(flavour: Flavour, function: Deployed, event: bytes, shop: Shop, store: OrderStore, workdir: Path, count: int) -> dict:
    """One execution environment, 1 + `count` invocations of the sample in a row, the order
    re-seeded before each so that every one does the whole of its work (not an idempotent
    replay's shortcut). Returns the first invocation's time and the warm ones' (ms)."""
    log_path = workdir / f"warm-{flavour.label.split()[0]}-{function.name}-{uuid.uuid4().hex[:8]}.log"
    durations = []
    try:
        with RuntimeApi(function_arn(function), flavour.invoke_timeout()) as api, open(log_path, "wb") as log:
            process = start(flavour, function, lambda_env(flavour, function, api, shop, workdir), log)
            try:
                for _ in range(1 + count):
                    seed(store, function.name)
                    outcome, took = api.invoke(event, flavour.invoke_timeout(), process)
                    if outcome.kind != "response":
                        raise CheckFailed(f"a warm invocation reported {outcome.kind}: {outcome.body[:500]!r}")
                    durations.append(took)
            finally:
                if process.poll() is None:
                    process.kill()
                process.wait()
    except CheckFailed as failure:
        raise CheckFailed(f"{failure}\nits output:\n{log_path.read_text(errors='replace')[-3000:]}") from None
    warm = durations[1:]
    return {
        "firstInvokeMs": round(durations[0], 2),
        "warmInvokeMs": statistics.median(warm),
        "warmInvokeSamplesMs": [round(d, 2) for d in warm],
    }
