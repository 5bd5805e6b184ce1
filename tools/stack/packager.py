"""Packages a serverless.yml with the pinned osls, offline, and returns its CloudFormation.

Each packaging runs in its own scratch directory holding the serverless.yml text, the repo's
package.json, a link to the repo's node_modules and an empty zip at every artifact path the file
names, so no Rust build and no AWS account are needed. Where the machine allows it the CLI runs
under `unshare -n`, in a network namespace with no interface but loopback, which proves that
packaging calls nothing outside the machine.

The real serverless.yml's template is also kept (`store`, under $CARGO_TARGET_DIR/stack, named
by a digest of what it was made from) for tools/lambda-check, which takes its functions and
their environment from it. Run as a script, this prints that file's path (`--path`), or packages
serverless.yml and stores it first (`--store`).
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
STAGE = "dev"
REGION = "eu-west-1"
TEMPLATE = Path(".serverless") / "cloudformation-template-update-stack.json"
STORE = Path(os.environ.get("CARGO_TARGET_DIR") or REPO / "target") / "stack"


@dataclass(frozen=True)
class Packaged:
    template: dict
    path: Path
    offline: bool


@functools.cache
def offline_prefix() -> tuple[str, ...]:
    """`unshare -n` when this machine lets us make a network namespace, else nothing."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return ()
    probe = subprocess.run([unshare, "-n", "true"], capture_output=True)
    return (unshare, "-n") if probe.returncode == 0 else ()


def artifacts(serverless_yml: str) -> list[str]:
    """Every `package.artifact` path the file names (functions' and the service's)."""
    config = yaml.safe_load(serverless_yml)
    paths = [(config.get("package") or {}).get("artifact")]
    for function in (config.get("functions") or {}).values():
        paths.append(((function or {}).get("package") or {}).get("artifact"))
    return [path for path in paths if path]


def package(serverless_yml: str, scratch: Path) -> Packaged:
    """Runs `osls package` on the given serverless.yml text in `scratch` (created, must not exist)."""
    scratch.mkdir(parents=True)
    (scratch / "serverless.yml").write_text(serverless_yml)
    shutil.copy(REPO / "package.json", scratch / "package.json")
    (scratch / "node_modules").symlink_to(REPO / "node_modules")
    for artifact in artifacts(serverless_yml):
        target = scratch / artifact
        target.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(target, "w") as archive:
            archive.writestr("bootstrap", "")

    osls = REPO / "node_modules" / ".bin" / "osls"
    command = [*offline_prefix(), str(osls), "package", "--stage", STAGE, "--region", REGION]
    run = subprocess.run(command, cwd=scratch, capture_output=True, text=True, timeout=300)
    if run.returncode != 0:
        raise RuntimeError(
            f"osls package failed (exit {run.returncode}) in {scratch}:\n{run.stdout}\n{run.stderr}"
        )
    path = scratch / TEMPLATE
    return Packaged(template=json.loads(path.read_text()), path=path, offline=bool(offline_prefix()))


def stored_path(serverless_yml: str) -> Path:
    """Where the template of this serverless.yml text is kept: named by a digest of the text, the
    pinned osls (package-lock.json), the stage and the region, so a stale one is never found
    (nor one of another checkout sharing CARGO_TARGET_DIR)."""
    digest = hashlib.sha256()
    for part in (serverless_yml.encode(), (REPO / "package-lock.json").read_bytes(), STAGE.encode(), REGION.encode()):
        digest.update(hashlib.sha256(part).digest())
    return STORE / f"cloudformation-{digest.hexdigest()[:16]}.json"


def store(packaged: Packaged, serverless_yml: str) -> Path:
    """Keeps the packaged template at `stored_path` (written whole, then renamed into place)."""
    path = stored_path(serverless_yml)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.partial")
    partial.write_text(json.dumps(packaged.template, indent=2) + "\n")
    partial.replace(path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description="The stored template of the repo's serverless.yml.")
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--path", action="store_true", help="print where it is kept (it may not be there yet)")
    action.add_argument("--store", action="store_true", help="package serverless.yml unless it is kept, then print the path")
    args = parser.parse_args()
    text = (REPO / "serverless.yml").read_text()
    path = stored_path(text)
    if args.store and not path.is_file():
        with tempfile.TemporaryDirectory(prefix="cakeshop-package-") as scratch:
            path = store(package(text, Path(scratch) / "package"), text)
    print(path)


if __name__ == "__main__":
    main()
