"""Checks of a packaged CloudFormation template against the expected stack (expected.py).

Each check collects every problem it finds and raises one AssertionError listing them all, each
line naming the function or resource at fault. The same checks run on the real serverless.yml
(where they must pass) and on deliberately broken copies (where they must fail).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict

from expected import (
    ALARM_EMAIL,
    ALARM_TOPIC,
    BUSINESS_METRICS,
    HTTP_API,
    INDEXES,
    MAX_STREAM_RETRIES,
    METRICS_NAMESPACE,
    MIN_MAX_RECEIVE_COUNT,
    MIN_RECORD_AGE_S,
    SERVICE,
    SES_REPUTATION_ALARMS,
    STAGE,
    STAGE_THROTTLING_MAX_RATE,
    TIME_TO_LIVE_ATTRIBUTE,
    XRAY_WRITE,
    Function,
)

# CloudFormation's defaults for what a template may leave out.
SQS_DEFAULT_VISIBILITY_TIMEOUT = 30
SQS_DEFAULT_RETENTION = 345_600
KINESIS_DEFAULT_RETENTION_HOURS = 24

_SUB_ARN = re.compile(
    r"arn:\$\{AWS::Partition\}:([a-z0-9-]+):\$\{AWS::Region\}:\$\{AWS::AccountId\}:(.+)"
)
# A path under a resource of this template, e.g. `${OrdersTable.Arn}/index/pending-events`.
_SUB_UNDER_RESOURCE = re.compile(r"\$\{([A-Za-z0-9]+)\.Arn\}(/.+)")


class Problems:
    def __init__(self, check: str):
        self.check = check
        self.lines: list[str] = []

    def add(self, line: str) -> None:
        self.lines.append(line)

    def raise_any(self) -> None:
        if self.lines:
            listed = "\n".join(f"  - {line}" for line in self.lines)
            raise AssertionError(f"{self.check}: {len(self.lines)} problem(s)\n{listed}")


def resources(template: dict) -> dict:
    return template.get("Resources", {})


def of_type(template: dict, kind: str) -> dict:
    return {name: r for name, r in resources(template).items() if r.get("Type") == kind}


def listed(value) -> list:
    return value if isinstance(value, list) else [value]


def logical_id(value) -> str | None:
    """The resource a `Ref` or `Fn::GetAtt [X, Arn]` points at, else None."""
    if isinstance(value, dict) and len(value) == 1:
        (function, argument), = value.items()
        if function == "Ref" and isinstance(argument, str):
            return argument
        if function == "Fn::GetAtt":
            parts = argument.split(".", 1) if isinstance(argument, str) else argument
            return parts[0] if parts else None
    return None


def resource_name(value) -> str:
    """How expected.py writes a policy resource: a logical id, `<logical id>/<path>` for a path
    under one (`Fn::Sub: ${X.Arn}/<path>`), `<service>:<resource part>` for an ARN built with
    Fn::Sub in this account and region, or else the value itself."""
    if isinstance(value, str):
        return value
    target = logical_id(value)
    if target is not None:
        return target
    if isinstance(value, dict) and set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str):
        under = _SUB_UNDER_RESOURCE.fullmatch(value["Fn::Sub"])
        if under:
            return f"{under[1]}{under[2]}"
        match = _SUB_ARN.fullmatch(value["Fn::Sub"])
        if match:
            return f"{match[1]}:{match[2]}"
    return json.dumps(value, sort_keys=True)


def referenced_resource(value) -> str | None:
    """The resource of this template a policy resource names, by Ref, GetAtt or `${X.Arn}`."""
    target = logical_id(value)
    if target is None and isinstance(value, dict) and isinstance(value.get("Fn::Sub"), str):
        under = _SUB_UNDER_RESOURCE.fullmatch(value["Fn::Sub"])
        target = under[1] if under else None
    return target


def functions_by_name(template: dict) -> dict[str, tuple[str, dict]]:
    """{function name in serverless.yml: (logical id, properties)}."""
    prefix = f"{SERVICE}-{STAGE}-"
    found = {}
    for name, resource in of_type(template, "AWS::Lambda::Function").items():
        properties = resource.get("Properties", {})
        function_name = str(properties.get("FunctionName", name))
        found[function_name.removeprefix(prefix)] = (name, properties)
    return found


# ------------------------------------------------------------------------------ functions


def check_functions(template: dict, expected: dict[str, Function]) -> None:
    """Exactly the expected functions, each with its own role and timeout, and distinct code."""
    problems = Problems("functions")
    functions = functions_by_name(template)
    if set(functions) != set(expected):
        problems.add(
            f"expected {len(expected)} functions {sorted(expected)}, "
            f"the template has {len(functions)}: {sorted(functions)}"
        )
    users = defaultdict(list)
    code = defaultdict(list)
    for name, (_, properties) in sorted(functions.items()):
        role = logical_id(properties.get("Role"))
        users[role].append(name)
        s3 = properties.get("Code", {})
        code[(json.dumps(s3.get("S3Bucket"), sort_keys=True), s3.get("S3Key"))].append(name)
        want = expected.get(name)
        if want is None:
            continue
        if role != want.role:
            problems.add(f"{name}: runs as {role}, expected its own role {want.role}")
        if properties.get("Timeout") != want.timeout:
            problems.add(f"{name}: Timeout {properties.get('Timeout')}, expected {want.timeout}")
    for role, names in users.items():
        if len(names) > 1:
            problems.add(f"role {role} is shared by {names}: each function needs its own")
    for (_, key), names in code.items():
        if len(names) > 1:
            problems.add(
                f"{names} all deploy the S3 object {key}: their artifacts have the same file "
                "name, so each upload overwrites the last and every one runs the same code"
            )
    roles = set(of_type(template, "AWS::IAM::Role"))
    wanted_roles = {f.role for f in expected.values()}
    if roles != wanted_roles:
        problems.add(f"roles in the template {sorted(roles)}, expected exactly {sorted(wanted_roles)}")
    problems.raise_any()


# ------------------------------------------------------------------------------ triggers


def routes_by_function(template: dict) -> dict[str, set[str]]:
    """{function logical id: {route key}} through each route's integration."""
    all_resources = resources(template)
    found = defaultdict(set)
    for route in of_type(template, "AWS::ApiGatewayV2::Route").values():
        properties = route.get("Properties", {})
        target = properties.get("Target", {})
        try:
            integration = logical_id(target["Fn::Join"][1][1])
            uri = all_resources[integration]["Properties"]["IntegrationUri"]
        except (KeyError, IndexError, TypeError):
            found[f"<unresolved target {json.dumps(target)}>"].add(properties.get("RouteKey"))
            continue
        found[logical_id(uri)].add(properties.get("RouteKey"))
    return found


def mappings_by_function(template: dict) -> dict[str, list[tuple[str, dict]]]:
    found = defaultdict(list)
    for name, mapping in of_type(template, "AWS::Lambda::EventSourceMapping").items():
        properties = mapping.get("Properties", {})
        found[logical_id(properties.get("FunctionName"))].append((name, properties))
    return found


def schedules_by_function(template: dict) -> dict[str, list[tuple[str, dict]]]:
    """{function logical id: [(rule logical id, rule properties)]} for every EventBridge rule
    that targets a function."""
    found = defaultdict(list)
    for name, rule in of_type(template, "AWS::Events::Rule").items():
        properties = rule.get("Properties", {})
        for target in properties.get("Targets") or []:
            found[logical_id(target.get("Arn"))].append((name, properties))
    return found


def _check_schedules(problems, name, function_id, got, want: Function, permissions: dict) -> None:
    expressions = sorted(p.get("ScheduleExpression") for _, p in got)
    wanted = [want.schedule] if want.schedule else []
    if expressions != wanted:
        problems.add(f"{name}: schedules {expressions}, expected {wanted}")
    for rule_id, rule in got:
        if rule.get("State") != "ENABLED":
            problems.add(f"{name}: its schedule {rule_id} is {rule.get('State')}, not ENABLED")
        allowed = [
            p["Properties"]
            for p in permissions.values()
            if logical_id(p.get("Properties", {}).get("FunctionName")) == function_id
            and p["Properties"].get("Principal") == "events.amazonaws.com"
            and logical_id(p["Properties"].get("SourceArn")) == rule_id
        ]
        if not allowed:
            problems.add(f"{name}: EventBridge has no permission to invoke it from {rule_id}")


def check_triggers(template: dict, expected: dict[str, Function]) -> None:
    """Each function is triggered by exactly what it should be, and mappings are configured for
    partial batch failures, bounded retries and an on-failure destination."""
    problems = Problems("triggers")
    all_resources = resources(template)
    functions = functions_by_name(template)
    routes = routes_by_function(template)
    mappings = mappings_by_function(template)
    schedules = schedules_by_function(template)
    integrations = of_type(template, "AWS::ApiGatewayV2::Integration")
    permissions = of_type(template, "AWS::Lambda::Permission")

    for name, want in sorted(expected.items()):
        if name not in functions:
            problems.add(f"{name}: no such function in the template")
            continue
        function_id = functions[name][0]
        _check_schedules(problems, name, function_id, schedules.pop(function_id, []), want, permissions)

        got_routes = routes.pop(function_id, set())
        if got_routes != set(want.routes):
            problems.add(f"{name}: routes {sorted(got_routes)}, expected {sorted(want.routes)}")
        if want.routes:
            for integration_id, integration in integrations.items():
                p = integration.get("Properties", {})
                if logical_id(p.get("IntegrationUri")) == function_id and (
                    p.get("IntegrationType") != "AWS_PROXY" or p.get("PayloadFormatVersion") != "2.0"
                ):
                    problems.add(f"{name}: {integration_id} is not an AWS_PROXY integration of payload 2.0")
            allowed = [
                p["Properties"]
                for p in permissions.values()
                if logical_id(p.get("Properties", {}).get("FunctionName")) == function_id
                and p["Properties"].get("Principal") == "apigateway.amazonaws.com"
            ]
            if not allowed:
                problems.add(f"{name}: API Gateway has no permission to invoke it")
            elif not all('"Ref": "HttpApi"' in json.dumps(p.get("SourceArn")) for p in allowed):
                problems.add(f"{name}: its invoke permission is not limited to this stack's HttpApi")

        got = mappings.pop(function_id, [])
        sources = [s for s in (want.stream, want.queue) if s is not None]
        if len(got) != len(sources):
            problems.add(
                f"{name}: {len(got)} event source mapping(s) {[m for m, _ in got]}, expected {len(sources)}"
            )
            continue
        if not got:
            continue
        mapping_id, m = got[0]
        where = f"{name} ({mapping_id})"
        if m.get("Enabled") is False:
            problems.add(f"{where}: the mapping is disabled")
        if m.get("FunctionResponseTypes") != ["ReportBatchItemFailures"]:
            problems.add(
                f"{where}: FunctionResponseTypes {m.get('FunctionResponseTypes')}, expected "
                "['ReportBatchItemFailures'] (the handler reports failed items, not whole batches)"
            )
        source = logical_id(m.get("EventSourceArn"))
        if want.stream is not None:
            _check_stream_mapping(problems, where, m, source, want, all_resources)
        else:
            if source != want.queue.queue:
                problems.add(f"{where}: reads {source}, expected {want.queue.queue}")
            elif all_resources.get(source, {}).get("Type") != "AWS::SQS::Queue":
                problems.add(f"{where}: its source {source} is not an SQS queue in this stack")
            window = m.get("MaximumBatchingWindowInSeconds", 0)
            if window == 0 and m.get("BatchSize", 10) > 10:
                problems.add(f"{where}: BatchSize {m.get('BatchSize')} over 10 needs a batching window")

    for function_id, keys in routes.items():
        problems.add(f"{function_id}: unexpected routes {sorted(keys)}")
    for function_id, got in mappings.items():
        problems.add(f"{function_id}: unexpected event source mappings {[m for m, _ in got]}")
    for function_id, got in schedules.items():
        problems.add(f"{function_id}: unexpected schedules {[r for r, _ in got]}")
    problems.raise_any()


def _check_stream_mapping(problems, where, m, source, want: Function, all_resources) -> None:
    stream = want.stream
    if source != stream.stream:
        problems.add(f"{where}: reads {source}, expected the stream {stream.stream}")
    elif all_resources.get(source, {}).get("Type") != "AWS::Kinesis::Stream":
        problems.add(f"{where}: its source {source} is not a Kinesis stream in this stack")
    if m.get("StartingPosition") != "TRIM_HORIZON":
        problems.add(f"{where}: StartingPosition {m.get('StartingPosition')}, expected TRIM_HORIZON")

    filters = (m.get("FilterCriteria") or {}).get("Filters") or []
    patterns = []
    for f in filters:
        try:
            patterns.append(json.loads(f.get("Pattern", "")))
        except (TypeError, ValueError):
            patterns.append(f.get("Pattern"))
    wanted = stream.filter_patterns()
    if patterns != wanted:
        problems.add(
            f"{where}: filter patterns {patterns}, expected {wanted} "
            "(without it the function is invoked for every event on the stream)"
        )

    if m.get("BisectBatchOnFunctionError") is not True:
        problems.add(f"{where}: BisectBatchOnFunctionError is not true")
    retries = m.get("MaximumRetryAttempts")
    if not isinstance(retries, int) or not 0 <= retries <= MAX_STREAM_RETRIES:
        problems.add(
            f"{where}: MaximumRetryAttempts {retries}, expected 0..{MAX_STREAM_RETRIES} "
            "(unset or -1 retries a bad record until it expires, stalling its shard)"
        )
    retention_h = all_resources.get(stream.stream, {}).get("Properties", {}).get(
        "RetentionPeriodHours", KINESIS_DEFAULT_RETENTION_HOURS
    )
    age = m.get("MaximumRecordAgeInSeconds")
    if not isinstance(age, int) or not MIN_RECORD_AGE_S <= age <= retention_h * 3600:
        problems.add(
            f"{where}: MaximumRecordAgeInSeconds {age}, expected {MIN_RECORD_AGE_S}.."
            f"{retention_h * 3600} (the stream's retention)"
        )
    destination = logical_id(((m.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination"))
    if destination != stream.failure_queue:
        problems.add(
            f"{where}: on-failure destination {destination}, expected its own queue {stream.failure_queue}"
        )
    elif all_resources.get(destination, {}).get("Type") != "AWS::SQS::Queue":
        problems.add(f"{where}: its on-failure destination {destination} is not an SQS queue in this stack")


# ------------------------------------------------------------------------------ queues


def _redrive_policy(properties: dict):
    policy = properties.get("RedrivePolicy")
    if isinstance(policy, str):
        try:
            policy = json.loads(policy)
        except ValueError:
            return None
    return policy


def check_queues(template: dict, expected: dict[str, Function]) -> None:
    """Every consumed queue dead-letters to a queue of this stack after a few receives, keeps its
    messages hidden long enough for Lambda to finish with them, and every stream consumer's
    on-failure queue exists."""
    problems = Problems("queues")
    all_resources = resources(template)
    functions = functions_by_name(template)
    mappings = mappings_by_function(template)
    for name, want in sorted(expected.items()):
        if want.stream is not None:
            failure = all_resources.get(want.stream.failure_queue)
            if failure is None or failure.get("Type") != "AWS::SQS::Queue":
                problems.add(f"{name}: its on-failure queue {want.stream.failure_queue} does not exist")
        if want.queue is None:
            continue
        queue_id, dlq_id = want.queue.queue, want.queue.dead_letter_queue
        queue = all_resources.get(queue_id)
        if queue is None or queue.get("Type") != "AWS::SQS::Queue":
            problems.add(f"{name}: its queue {queue_id} does not exist")
            continue
        properties = queue.get("Properties", {})

        policy = _redrive_policy(properties)
        if not isinstance(policy, dict):
            problems.add(
                f"{queue_id}: no RedrivePolicy, so a message that keeps failing is retried until it "
                "expires instead of going to a dead-letter queue"
            )
        else:
            target = logical_id(policy.get("deadLetterTargetArn"))
            if target != dlq_id:
                problems.add(f"{queue_id}: dead-letters to {target}, expected {dlq_id}")
            dlq = all_resources.get(target)
            if dlq is None or dlq.get("Type") != "AWS::SQS::Queue":
                problems.add(f"{queue_id}: its dead-letter queue {target} does not exist in this stack")
            elif target == queue_id:
                problems.add(f"{queue_id}: dead-letters to itself")
            else:
                keep = properties.get("MessageRetentionPeriod", SQS_DEFAULT_RETENTION)
                dlq_keep = dlq.get("Properties", {}).get("MessageRetentionPeriod", SQS_DEFAULT_RETENTION)
                if not dlq_keep > keep:
                    problems.add(
                        f"{target}: keeps messages {dlq_keep} s, not longer than {queue_id} ({keep} s); "
                        "a dead letter's age counts from its first enqueue, so it would expire early"
                    )
            receives = policy.get("maxReceiveCount")
            if not isinstance(receives, int) or receives < MIN_MAX_RECEIVE_COUNT:
                problems.add(f"{queue_id}: maxReceiveCount {receives}, expected at least {MIN_MAX_RECEIVE_COUNT}")

        if name not in functions:
            continue
        function_id, function = functions[name]
        window = max(
            [m.get("MaximumBatchingWindowInSeconds", 0) for _, m in mappings.get(function_id, [])] or [0]
        )
        timeout = function.get("Timeout", 6)
        visibility = properties.get("VisibilityTimeout", SQS_DEFAULT_VISIBILITY_TIMEOUT)
        if visibility < 6 * timeout + window:
            problems.add(
                f"{queue_id}: VisibilityTimeout {visibility} s < 6 x {name}'s Timeout {timeout} s "
                f"+ batching window {window} s = {6 * timeout + window} s"
            )
    problems.raise_any()


# ------------------------------------------------------------------------------ tables


def check_tables(template: dict, expected: dict[str, Function]) -> None:
    """Every index the adapters query exists with the keys and projected attributes they read,
    on an on-demand table (an index of a provisioned table would need capacity of its own)."""
    problems = Problems("tables")
    all_resources = resources(template)
    for index in INDEXES:
        table = all_resources.get(index.table)
        if table is None or table.get("Type") != "AWS::DynamoDB::Table":
            problems.add(f"{index.table}: no such DynamoDB table")
            continue
        properties = table.get("Properties", {})
        if properties.get("BillingMode") != "PAY_PER_REQUEST":
            problems.add(f"{index.table}: BillingMode {properties.get('BillingMode')}, expected PAY_PER_REQUEST")
        found = [i for i in properties.get("GlobalSecondaryIndexes") or [] if i.get("IndexName") == index.name]
        if not found:
            problems.add(f"{index.table}: no global secondary index {index.name}")
            continue
        keys = {k.get("KeyType"): k.get("AttributeName") for k in found[0].get("KeySchema") or []}
        if keys != {"HASH": index.partition_key, "RANGE": index.sort_key}:
            problems.add(
                f"{index.table}/{index.name}: keys {keys}, expected partition {index.partition_key} "
                f"and sort {index.sort_key}"
            )
        defined = {d.get("AttributeName"): d.get("AttributeType") for d in properties.get("AttributeDefinitions") or []}
        for key in (index.partition_key, index.sort_key):
            if defined.get(key) != "S":
                problems.add(f"{index.table}: attribute {key} is defined as {defined.get(key)}, expected S")
        projection = found[0].get("Projection") or {}
        kind = projection.get("ProjectionType")
        projected = set(projection.get("NonKeyAttributes") or [])
        if kind != "ALL" and not (kind == "INCLUDE" and index.projected <= projected):
            problems.add(
                f"{index.table}/{index.name}: projects {kind} {sorted(projected)}, "
                f"its readers need {sorted(index.projected)}"
            )
        ttl = properties.get("TimeToLiveSpecification") or {}
        if ttl.get("AttributeName") != TIME_TO_LIVE_ATTRIBUTE or ttl.get("Enabled") is not True:
            problems.add(
                f"{index.table}: time to live {ttl or 'off'}; the client limits' counters need "
                f"{TIME_TO_LIVE_ATTRIBUTE} enabled"
            )
    problems.raise_any()


def check_stage_throttling(template: dict, expected: dict[str, Function]) -> None:
    """The HTTP API's stage throttles every route: a shared ceiling under the functions' own
    per-client limits, so that no flood reaches them unchecked."""
    problems = Problems("stage throttling")
    stages = [
        (name, r)
        for name, r in resources(template).items()
        if r.get("Type") == "AWS::ApiGatewayV2::Stage"
        and json.dumps(r.get("Properties", {}).get("ApiId")) == json.dumps({"Ref": HTTP_API})
    ]
    if not stages:
        problems.add(f"no stage of {HTTP_API}")
    for name, stage in stages:
        settings = stage.get("Properties", {}).get("DefaultRouteSettings") or {}
        rate, burst = settings.get("ThrottlingRateLimit"), settings.get("ThrottlingBurstLimit")
        if not isinstance(rate, (int, float)) or not 0 < rate <= STAGE_THROTTLING_MAX_RATE:
            problems.add(f"{name}: ThrottlingRateLimit {rate}, expected 1 to {STAGE_THROTTLING_MAX_RATE} a second")
        if not isinstance(burst, int) or not 0 < burst:
            problems.add(f"{name}: ThrottlingBurstLimit {burst}, expected a positive whole number")
    problems.raise_any()


# ------------------------------------------------------------------------------ IAM


LAMBDA_TRUST = {
    "Effect": "Allow",
    "Principal": {"Service": "lambda.amazonaws.com"},
    "Action": "sts:AssumeRole",
}


def role_grants(role: dict, problems: Problems, name: str, all_resources: dict) -> tuple[set, list]:
    """The (action, resource) pairs a role allows, and its statements' conditions."""
    grants, conditions = set(), []
    properties = role.get("Properties", {})
    for policy in properties.get("Policies", []):
        for statement in listed(policy.get("PolicyDocument", {}).get("Statement", [])):
            for key in ("NotAction", "NotResource", "NotPrincipal"):
                if key in statement:
                    problems.add(f"{name}: a statement uses {key}, which grants everything not listed")
            if statement.get("Effect") != "Allow":
                continue
            actions = listed(statement.get("Action", []))
            resources_ = listed(statement.get("Resource", []))
            for action in actions:
                if not isinstance(action, str) or "*" in action or "?" in action:
                    problems.add(f"{name}: wildcard action {action!r}")
            for resource in resources_:
                rendered = resource_name(resource)
                if rendered == "*" and not set(actions) <= set(XRAY_WRITE):
                    problems.add(f'{name}: Resource "*" for {actions}; every resource here can be named')
                target = referenced_resource(resource)
                if target is not None and target not in all_resources:
                    problems.add(f"{name}: grants on {target}, which does not exist in this stack")
                for action in actions:
                    grants.add((action, rendered))
            if "Condition" in statement:
                conditions.append((sorted(actions), statement["Condition"]))
    return grants, conditions


def check_iam(template: dict, expected: dict[str, Function]) -> None:
    """Each function's role: trusted by Lambda only, no managed or attached policies, no
    wildcards, and exactly the expected (action, resource) allow-list."""
    problems = Problems("iam")
    all_resources = resources(template)
    roles = of_type(template, "AWS::IAM::Role")
    for kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
        for policy_id in of_type(template, kind):
            problems.add(f"{policy_id}: a separate {kind}; each role's grants belong in its own Policies")
    for name, want in sorted(expected.items()):
        role = roles.get(want.role)
        where = f"{name} ({want.role})"
        if role is None:
            problems.add(f"{where}: the role does not exist")
            continue
        properties = role.get("Properties", {})
        trust = listed(properties.get("AssumeRolePolicyDocument", {}).get("Statement", []))
        if trust != [LAMBDA_TRUST]:
            problems.add(f"{where}: trust policy {trust}, expected only Lambda to assume it")
        if properties.get("ManagedPolicyArns"):
            problems.add(f"{where}: managed policies {properties['ManagedPolicyArns']}")

        grants, conditions = role_grants(role, problems, where, all_resources)
        extra = sorted(grants - want.grants)
        missing = sorted(want.grants - grants)
        if extra:
            problems.add(f"{where}: grants more than it needs: {extra}")
        if missing:
            problems.add(f"{where}: lacks what its handler calls: {missing}")

        wanted_conditions = []
        if want.ses_from is not None:
            wanted_conditions = [(["ses:SendEmail"], {"StringEquals": {"ses:FromAddress": want.ses_from}})]
        if conditions != wanted_conditions:
            problems.add(f"{where}: conditions {conditions}, expected {wanted_conditions}")
    problems.raise_any()


# ------------------------------------------------------------------------------ alarms


def _dimension(metric: dict, name: str) -> str | None:
    """The resource the metric's dimension `name` refers to (by Ref or GetAtt)."""
    for dimension in listed(metric.get("Dimensions") or []):
        if isinstance(dimension, dict) and dimension.get("Name") == name:
            return logical_id(dimension.get("Value"))
    return None


def _metrics(properties: dict) -> list[dict]:
    """The metrics an alarm watches: its own, or those of its metric math."""
    if "MetricName" in properties:
        return [properties]
    return [m["MetricStat"]["Metric"] for m in listed(properties.get("Metrics") or []) if "MetricStat" in m]


def check_alarms(template: dict, expected: dict[str, Function]) -> None:
    """An alarm on every function's errors and on its throttles, on each stream consumer's
    iterator age, on anything in each dead-letter and on-failure queue and on the HTTP API's 5xx
    answers; each tells the alarm topic when it fires and when it clears, and the topic emails
    the alarmEmail parameter."""
    problems = Problems("check_alarms")
    topic = resources(template).get(ALARM_TOPIC, {})
    if topic.get("Type") != "AWS::SNS::Topic":
        problems.add(f"no AWS::SNS::Topic {ALARM_TOPIC} for the alarms")
    else:
        subscriptions = listed(topic.get("Properties", {}).get("Subscription") or [])
        if not any(s.get("Protocol") == "email" and s.get("Endpoint") == ALARM_EMAIL for s in subscriptions):
            problems.add(f"{ALARM_TOPIC}: no email subscription for {ALARM_EMAIL} (the alarmEmail parameter)")
    alarms = {name: r.get("Properties", {}) for name, r in of_type(template, "AWS::CloudWatch::Alarm").items()}
    for name, properties in alarms.items():
        for actions in ("AlarmActions", "OKActions"):
            if ALARM_TOPIC not in {logical_id(a) for a in listed(properties.get(actions) or [])}:
                problems.add(f"{name}: its {actions} do not tell {ALARM_TOPIC}")

    def alarmed(namespace: str, metric_name: str, dimension: str, target: str | None) -> bool:
        return target is not None and any(
            m.get("Namespace") == namespace and m.get("MetricName") == metric_name and _dimension(m, dimension) == target
            for properties in alarms.values()
            for m in _metrics(properties)
        )

    by_name = functions_by_name(template)
    for name, want in sorted(expected.items()):
        function_id = by_name.get(name, (None, None))[0]
        for metric in ("Errors", "Throttles"):
            if not alarmed("AWS/Lambda", metric, "FunctionName", function_id):
                problems.add(f"{name}: no alarm on its {metric}")
        if want.stream:
            if not alarmed("AWS/Lambda", "IteratorAge", "FunctionName", function_id):
                problems.add(f"{name}: no alarm on its IteratorAge (how far behind the stream it is)")
            given_up = want.stream.failure_queue
        else:
            given_up = want.queue.dead_letter_queue if want.queue else None
        if given_up and not alarmed("AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", given_up):
            problems.add(f"{name}: no alarm on messages in {given_up}")
    if not alarmed("AWS/ApiGateway", "5xx", "ApiId", HTTP_API):
        problems.add(f"no alarm on the 5xx answers of {HTTP_API}")
    for metric, highest in SES_REPUTATION_ALARMS.items():
        watching = [
            p
            for p in alarms.values()
            if p.get("Namespace") == "AWS/SES" and p.get("MetricName") == metric
        ]
        if not watching:
            problems.add(f"no alarm on the account's SES {metric}")
        for properties in watching:
            threshold = properties.get("Threshold")
            if not isinstance(threshold, (int, float)) or not 0 < threshold <= highest:
                problems.add(f"the SES {metric} alarm fires at {threshold}, not at or below {highest}")
    problems.raise_any()


# ------------------------------------------------------------------------------ tracing and logs


def _sub_text(value) -> str:
    """The text of an `Fn::Sub` string (or of a plain one), else ''."""
    if isinstance(value, dict):
        value = value.get("Fn::Sub")
    return value if isinstance(value, str) else ""


def _graphed(body: str) -> set[tuple[str, str, frozenset]] | None:
    """(namespace, name, dimensions) of every metric a dashboard body graphs, or None if the body
    is not JSON. A widget's metric is [namespace, name, dimension, value, …, {options}?], where
    "." repeats the metric above it at that position."""
    try:
        widgets = json.loads(body).get("widgets") or []
    except (ValueError, AttributeError):
        return None
    found = set()
    for widget in widgets:
        above: list = []
        for metric in (widget.get("properties") or {}).get("metrics") or []:
            parts = [m for m in metric if not isinstance(m, dict)]
            parts = [above[i] if m == "." and i < len(above) else m for i, m in enumerate(parts)]
            above = parts
            if len(parts) >= 2 and len(parts) % 2 == 0:
                found.add((parts[0], parts[1], frozenset(zip(parts[2::2], parts[3::2]))))
    return found


def check_observability(template: dict, expected: dict[str, Function]) -> None:
    """Every function traced by X-Ray (active) and logging JSON; one saved Logs Insights query
    over every function's log group; a dashboard showing every alarm, every function and every
    one of the shop's own metrics, whose writers have the STAGE they tag them with."""
    problems = Problems("check_observability")
    by_name = functions_by_name(template)
    groups = {
        str(r.get("Properties", {}).get("LogGroupName")): name
        for name, r in of_type(template, "AWS::Logs::LogGroup").items()
    }
    queries = of_type(template, "AWS::Logs::QueryDefinition")
    if not queries:
        problems.add("no saved Logs Insights query (AWS::Logs::QueryDefinition) for an order's journey")
    queried = {
        logical_id(g) for q in queries.values() for g in listed(q.get("Properties", {}).get("LogGroupNames") or [])
    }
    dashboards = of_type(template, "AWS::CloudWatch::Dashboard")
    if not dashboards:
        problems.add("no AWS::CloudWatch::Dashboard")
    shown = "\n".join(_sub_text(d.get("Properties", {}).get("DashboardBody")) for d in dashboards.values())
    for name in sorted(expected):
        function_id, properties = by_name.get(name, (None, {}))
        if function_id is None:
            continue
        mode = (properties.get("TracingConfig") or {}).get("Mode")
        if mode != "Active":
            problems.add(f"{name}: X-Ray tracing is {mode or 'off'}, expected Active")
        log_format = (properties.get("LoggingConfig") or {}).get("LogFormat")
        if log_format != "JSON":
            problems.add(f"{name}: logs {log_format or 'Text'}, expected JSON")
        group = groups.get(f"/aws/lambda/{properties.get('FunctionName')}")
        if queries and group not in queried:
            problems.add(f"{name}: its log group {group} is not in the order-journey query")
        if dashboards and f'"{properties.get("FunctionName")}"' not in shown:
            problems.add(f"{name}: not on the dashboard")
    for alarm in sorted(of_type(template, "AWS::CloudWatch::Alarm")):
        if dashboards and f"${{{alarm}.Arn}}" not in shown:
            problems.add(f"{alarm}: not on the dashboard's alarm widget")
    graphed = set()
    for name, dashboard in sorted(dashboards.items()):
        found = _graphed(_sub_text(dashboard.get("Properties", {}).get("DashboardBody")))
        if found is None:
            problems.add(f"{name}: its DashboardBody is not JSON")
        graphed |= found or set()
    for metric in BUSINESS_METRICS:
        dimensions = ", ".join(f"{k}={v}" for k, v in metric.dimensions)
        # CloudWatch knows a metric by its whole set of dimensions: a line with one more or one
        # fewer than the function writes graphs nothing.
        if dashboards and (METRICS_NAMESPACE, metric.name, frozenset(metric.dimensions)) not in graphed:
            problems.add(
                f"{METRICS_NAMESPACE} {metric.name} ({dimensions}) from {metric.function}: not on the dashboard"
            )
        # Without it the function cannot tag what it writes with its Stage.
        _, properties = by_name.get(metric.function, (None, {}))
        stage = ((properties.get("Environment") or {}).get("Variables") or {}).get("STAGE")
        if stage is None:
            problems.add(f"{metric.function}: no STAGE in its environment, so its {metric.name} has no Stage")
        elif stage != STAGE:
            problems.add(f"{metric.function}: STAGE is {stage!r}, expected the stage it is deployed as, {STAGE!r}")
    problems.raise_any()


ALL_CHECKS = [
    check_functions,
    check_triggers,
    check_queues,
    check_tables,
    check_stage_throttling,
    check_iam,
    check_alarms,
    check_observability,
]
