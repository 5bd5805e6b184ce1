"""Packages a serverless.yml with the pinned osls, offline, and returns its CloudFormation.

Each packaging runs in its own scratch directory holding the serverless.yml text, the repo's
package.json, a link to the repo's node_modules and an empty zip at every artifact path the file
names, so no Rust build and no AWS account are needed. Where the machine allows it the CLI runs
under `unshare -n`, in a network namespace with no interface but loopback, which proves that
packaging calls nothing outside the machine.
"""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
STAGE = "dev"
REGION = "eu-west-1"
TEMPLATE = Path(".serverless") / "cloudformation-template-update-stack.json"


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
