"""The stack serverless.yml deploys, read from the CloudFormation that the pinned osls packages."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import checks
from expected import FUNCTIONS, LIFECYCLE, QUERIES, SCHEDULED, SHOP, XRAY_WRITE
from packager import REGION

# Rules cfn-lint is told to ignore, and why. Only these: any other error or warning fails.
IGNORED_RULES = {
    # "DependsOn already enforced by a Ref/GetAtt": osls itself writes these redundant DependsOn
    # (each function on its role, each HTTP route on its integration). They are harmless and
    # serverless.yml has no way to remove them.
    "W3005": "redundant DependsOn that osls generates",
}


def cfn_lint() -> str:
    beside = Path(sys.executable).parent / "cfn-lint"
    found = str(beside) if beside.exists() else shutil.which("cfn-lint")
    if found is None:
        pytest.fail("cfn-lint is not installed (tools/check-stack installs it)")
    return found


def test_packaging_needs_no_network(packaged):
    if not packaged.offline:
        pytest.skip("this machine cannot make a network namespace (unshare -n): packaged with network")
    assert packaged.template["Resources"], "osls packaged an empty template"


def test_cfn_lint_passes(packaged):
    run = subprocess.run(
        [cfn_lint(), "--regions", REGION, "--ignore-checks", *IGNORED_RULES, "--", str(packaged.path)],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, f"cfn-lint found problems:\n{run.stdout}{run.stderr}"


def test_expectations_cover_exactly_the_declared_functions():
    # One Lambda binary per declared function (a Rust test keeps lambdas/src/bin and the
    # declarations in crates/handlers/src/functions in step): a new function needs its
    # expectations here before the stack checks pass.
    declared = sorted(path.stem for path in (Path(__file__).resolve().parents[2] / "lambdas/src/bin").glob("*.rs"))
    assert declared, "lambdas/src/bin holds the functions' binaries"
    assert sorted(FUNCTIONS) == declared


def test_nine_lifecycle_functions_the_read_only_queries_the_shop_and_the_relay(template):
    assert len(LIFECYCLE) == 9 and len(QUERIES) == 1 and len(SHOP) == 1 and len(SCHEDULED) == 1
    assert sorted(checks.functions_by_name(template)) == sorted(LIFECYCLE + QUERIES + SHOP + SCHEDULED)


def test_functions_have_their_own_roles_timeouts_and_code(template):
    checks.check_functions(template, FUNCTIONS)


def test_triggers(template):
    checks.check_triggers(template, FUNCTIONS)


def test_queues_dead_letter_queues_and_visibility_timeouts(template):
    checks.check_queues(template, FUNCTIONS)


def test_the_orders_table_has_the_outbox_index(template):
    checks.check_tables(template, FUNCTIONS)


def test_the_http_api_stage_throttles_every_route(template):
    checks.check_stage_throttling(template, FUNCTIONS)


def test_alarms_on_every_function_queue_consumer_and_the_api(template):
    checks.check_alarms(template, FUNCTIONS)


def test_traced_logging_json_with_a_journey_query_and_a_dashboard(template):
    checks.check_observability(template, FUNCTIONS)


def test_each_role_allows_exactly_what_its_function_calls(template):
    checks.check_iam(template, FUNCTIONS)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_no_wildcards_in_any_role(template, name):
    """Stated on its own as well, so that the summary shows it per function."""
    role = template["Resources"][FUNCTIONS[name].role]
    for policy in role["Properties"]["Policies"]:
        for statement in checks.listed(policy["PolicyDocument"]["Statement"]):
            actions = checks.listed(statement["Action"])
            assert not [a for a in actions if "*" in a], f"{name}: wildcard action in {actions}"
            if set(actions) <= set(XRAY_WRITE):
                continue  # the two X-Ray actions have no resource-level permissions
            assert "*" not in checks.listed(statement["Resource"]), f'{name}: Resource "*" for {actions}'


def test_the_checks_read_real_values():
    """A guard against checks that pass on anything: an empty template fails every one."""
    for check in checks.ALL_CHECKS:
        with pytest.raises(AssertionError):
            check({"Resources": {}}, FUNCTIONS)
