"""The tables the check prints, and the shop's targets for each Lambda (benchmarks, not timed
tests: a miss is printed, not failed)."""

from __future__ import annotations

import sys

from .baseline import PYTHON_BASELINE

NATIVE = "x86_64 native"
ARM64 = "arm64 (qemu)"
# Invocations timed per function after its first, in one warm execution environment.
WARM_INVOCATIONS = 5
# Cold init to the first `next` (x86_64 native, the numbers worth reading), the deployed zip and
# peak RSS.
TARGETS = {"coldInitMs": 15.0, "zipBytes": 3_000_000, "peakRssKiB": 30 * 1024}


def mib(kib: int | None) -> str:
    return "-" if kib is None else f"{kib / 1024:.1f}"


def ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}" if value >= 100 else f"{value:.1f}"


def table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows)]
    line = lambda cells: "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))
    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])


def print_artifacts(zip_sizes: list[tuple[str, int, int]], native_bytes: dict[str, int]) -> None:
    print("\nLambda artifacts (cargo lambda build --profile lambda-release --arm64 --output-format zip):")
    print(table(
        ["function", "bootstrap.zip (bytes)", "zip (MiB)", "bootstrap unzipped (MiB)", "x86_64 binary (MiB)"],
        [[n, f"{z:,}", f"{z / 2**20:.2f}", f"{b / 2**20:.2f}", f"{native_bytes[n] / 2**20:.2f}"] for n, z, b in zip_sizes],
    ))  # fmt: skip
    total = sum(z for _, z, _ in zip_sizes)
    print(f"total of the {len(zip_sizes)} zips: {total:,} bytes ({total / 2**20:.1f} MiB)")


def print_runs(results: dict[str, dict[str, dict]], functions: list[str], init_samples: int) -> None:
    """Cold init, first invocation and peak RSS per function, one column group per flavour."""
    print("\nCold init (exec to the first GET /runtime/invocation/next) and peak RSS (VmHWM after one invocation):")
    labels = list(results)
    header = ["function"]
    for label in labels:
        header += [f"{label} init ms", f"{label} invoke ms", f"{label} RSS MiB"]
    rows = []
    for name in functions:
        row = [name]
        for label in labels:
            r = results[label].get(name, {})
            row += [ms(r.get("coldInitMs")), ms(r.get("invokeMs")), mib(r.get("peakRssKiB"))]
        rows.append(row)
    print(table(header, rows))
    if NATIVE in results:
        print(f"{NATIVE}: init is the median of {init_samples} cold starts; these are the numbers to use.")
    if ARM64 in results:
        print(f"{ARM64}: the deployed artifact under user-mode emulation; its init and invoke times are the")
        print("  emulator's (translation, not the code) and its RSS is the qemu process's (emulator included).")
    print("Secrets came from SSM SecureString parameters; every AWS call went to moto on loopback.")


def print_footprint(report: dict, functions: list[str]) -> None:
    """The cold-start and footprint table, the Python baseline beside the functions, targets marked."""
    runs = report["runs"]
    native = runs.get(NATIVE, {})
    arm64 = runs.get(ARM64, {})
    header = [
        "function", "zip MiB", "init ms x86_64", "init ms arm64/qemu", "RSS MiB x86_64", "RSS MiB arm64/qemu",
        "first invoke ms", "warm invoke ms",
    ]  # fmt: skip
    rows, missed = [], []
    for name in [*functions, PYTHON_BASELINE]:
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
        "  (tools/lambda/python_baseline/bootstrap.py); it only does place-order's DynamoDB work (the rules read, the order's transaction). Its zip is handler.py alone:\n"
        "  boto3 comes with the Lambda Python runtime, so it is not in the zip (nor in that size)."
    )
    print(f"warm invoke: median of {WARM_INVOCATIONS} invocations in one environment after its first, order re-seeded before each.")
    report["targets"] = {**TARGETS, "missed": missed}
