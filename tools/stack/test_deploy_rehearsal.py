"""The stack deployed as `osls deploy` would, on moto's CloudFormation engine (rehearsal.py), and
read back resource by resource with the SDK: once as a first deploy, then as a redeploy."""

from __future__ import annotations

import json
import subprocess
import time

import pytest

import checks
import rehearsal
from expected import FUNCTIONS
from mutations import MUTATIONS
from packager import REGION
from test_stack import IGNORED_RULES, cfn_lint

DEPLOY_MUTATIONS = [m for m in MUTATIONS if m.check is rehearsal.check_deploys]


def test_osls_creates_the_stack_with_the_bucket_the_rehearsal_creates(packaged):
    created = json.loads((packaged.path.parent / "cloudformation-template-create-stack.json").read_text())
    # osls exports the bucket's name from the whole template only; the rest is the same.
    assert rehearsal.create_stack_template(packaged.template) == created


def test_the_stack_deploys_redeploys_and_reads_back_as_written(template):
    started = time.monotonic()
    rehearsal.check_deploys(template)
    kinds = {r["Type"] for r in template["Resources"].values()}
    print(
        f"{len(template['Resources'])} resources of {len(kinds)} types deployed, "
        f"then redeployed, in {time.monotonic() - started:.1f} s"
    )


def test_a_function_whose_artifact_was_not_uploaded_is_found(template):
    """moto creates a function whose code is missing from the bucket (AWS refuses to); the
    read-back still says which."""
    found = rehearsal.rehearse(template, builds=1, leave_out=frozenset({"notify-baker.zip"}))
    assert found == [
        "after deploy 1: cakeshop-dev-notify-baker: its artifact "
        "serverless/cakeshop/dev/build-1/notify-baker.zip was never uploaded (a real deploy fails on NoSuchKey)"
    ], found



@pytest.mark.parametrize("mutation", DEPLOY_MUTATIONS, ids=[m.name for m in DEPLOY_MUTATIONS])
def test_what_only_the_rehearsal_catches_lints_clean(mutation, packagings):
    """Each broken copy the rehearsal is shown to fail (test_broken_copies) passes cfn-lint and
    every other check: only deploying it finds the defect."""
    broken = packagings[mutation.name].result()
    run = subprocess.run(
        [cfn_lint(), "--regions", REGION, "--ignore-checks", *IGNORED_RULES, "--", str(broken.path)],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, f"{mutation.name}: cfn-lint already finds it:\n{run.stdout}{run.stderr}"
    for check in checks.ALL_CHECKS:
        check(broken.template, FUNCTIONS)
