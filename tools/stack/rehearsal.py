"""The deploy, rehearsed on moto's CloudFormation engine: what `osls deploy` does, on loopback.

`osls deploy` creates a stack holding only the deployment bucket
(cloudformation-template-create-stack.json), uploads the artifacts to it, and updates the stack to
the whole template (cloudformation-template-update-stack.json); every later deploy uploads the new
artifacts under a new folder and updates again. `deploy` does the same against an in-process moto
server, with the CloudFormation models moto lacks (cfn_models), and `problems` then reads every
deployed resource back with boto3 and says what is wrong with it. A template that lints but does
not deploy (a bad reference, an attribute a resource does not have) or deploys wrong (a queue's
ARN where its URL belongs, a function running another's code) fails `check_deploys`.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import io
import json
import socket
import urllib.request
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass

import boto3
import botocore.config
import botocore.exceptions
from moto.server import ThreadedMotoServer

import cfn_models  # noqa: F401  (registers the models)
from cfn_models.logs import QUERY_DEFINITIONS
from cfn_models.s3 import BUCKET_POLICIES
from packager import REGION, STAGE

STACK = f"cakeshop-{STAGE}"
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"]


class DeployFailed(AssertionError):
    """The stack did not deploy: CloudFormation's answer, or the failed resources' reasons."""


@contextmanager
def moto_on_loopback():
    """A moto server on a free loopback port, in this process (so that it has cfn_models)."""
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    # moto's backends belong to the process: begin from none, whatever ran here before.
    urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/moto-api/reset", method="POST")).close()
    QUERY_DEFINITIONS.clear()
    BUCKET_POLICIES.clear()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


class Aws:
    """boto3 clients on one endpoint, with moto's test credentials."""

    def __init__(self, endpoint: str):
        self.endpoint = endpoint

    def __getattr__(self, service: str):
        client = boto3.client(
            service.replace("_", "-") if service != "lambda_" else "lambda",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            # moto answers at once: a failure is the answer, not a reason to try again.
            config=botocore.config.Config(retries={"total_max_attempts": 1}),
        )
        setattr(self, service, client)
        return client


def _status(aws: Aws) -> dict:
    return aws.cloudformation.describe_stacks(StackName=STACK)["Stacks"][0]


def _wait(aws: Aws, done: str, step: str) -> None:
    """Raises DeployFailed unless the stack ended in `done`, with every failed resource's reason."""
    stack = _status(aws)
    if stack["StackStatus"] == done:
        return
    reasons = [
        f"{e['LogicalResourceId']}: {e['ResourceStatus']} {e.get('ResourceStatusReason', '')}"
        for e in aws.cloudformation.describe_stack_events(StackName=STACK)["StackEvents"]
        if e["ResourceStatus"].endswith("FAILED")
    ]
    raise DeployFailed(f"{step}: the stack is {stack['StackStatus']}, not {done}\n" + "\n".join(reasons))


def _call(step: str, call, **kwargs):
    try:
        return call(**kwargs)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
        raise DeployFailed(f"{step}: {error}") from error


def create_stack_template(template: dict) -> dict:
    """What osls creates the stack with before uploading anything: the deployment bucket, its
    policy and the bucket's name as an output (cloudformation-template-create-stack.json)."""
    bucket = ("ServerlessDeploymentBucket", "ServerlessDeploymentBucketPolicy")
    return {
        "AWSTemplateFormatVersion": template["AWSTemplateFormatVersion"],
        "Description": template["Description"],
        "Resources": {name: template["Resources"][name] for name in bucket},
        "Outputs": {"ServerlessDeploymentBucketName": {"Value": {"Ref": "ServerlessDeploymentBucket"}}},
    }


def artifact(s3_key: str, build: int) -> bytes:
    """A zip standing in for the function's build `build`: a different one for every function
    and every build, so that code deployed to the wrong function, or not updated, shows."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("bootstrap", f"#!/bin/sh\n# {s3_key.rsplit('/', 1)[1]}, build {build}\n")
    return buffer.getvalue()


@dataclass
class DeployedStack:
    aws: Aws
    template: dict
    # {S3 key: the CodeSha256 of what was uploaded there}
    uploaded: dict[str, str]

    @functools.cached_property
    def resources(self) -> dict[str, dict]:
        """{logical id: the stack's summary of it}."""
        paginator = self.aws.cloudformation.get_paginator("list_stack_resources")
        return {
            r["LogicalResourceId"]: r
            for page in paginator.paginate(StackName=STACK)
            for r in page["StackResourceSummaries"]
        }

    @functools.cached_property
    def arns(self) -> dict[str, str]:
        """{logical id: ARN} of the stack's queues and stream, as their services report them."""
        arns = {}
        for logical_id in _of_type(self, "AWS::SQS::Queue"):
            url = _physical(self, logical_id)
            attributes = self.aws.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
            arns[logical_id] = attributes["Attributes"]["QueueArn"]
        for logical_id in _of_type(self, "AWS::Kinesis::Stream"):
            summary = self.aws.kinesis.describe_stream_summary(StreamName=_physical(self, logical_id))
            arns[logical_id] = summary["StreamDescriptionSummary"]["StreamARN"]
        return arns


def deploy(aws: Aws, template: dict, build: int = 1, leave_out: frozenset[str] = frozenset()) -> DeployedStack:
    """Deploys `template` (osls's cloudformation-template-update-stack.json) as `osls deploy`
    does. The first build creates the stack with the bucket alone; every build uploads each
    function's artifact (but those whose file names are in `leave_out`) under a folder of its
    own, then updates the stack to the whole template pointing at them."""
    template = json.loads(json.dumps(template))
    if build == 1:
        _call(
            "create-stack",
            aws.cloudformation.create_stack,
            StackName=STACK,
            TemplateBody=json.dumps(create_stack_template(template)),
            Capabilities=CAPABILITIES,
        )
        _wait(aws, "CREATE_COMPLETE", "create-stack")
    outputs = {o["OutputKey"]: o["OutputValue"] for o in _status(aws).get("Outputs", [])}
    bucket = outputs["ServerlessDeploymentBucketName"]
    uploaded = {}
    for resource in template["Resources"].values():
        if resource["Type"] != "AWS::Lambda::Function":
            continue
        code = resource["Properties"]["Code"]
        folder, name = code["S3Key"].rsplit("/", 1)
        code["S3Key"] = f"{folder.rsplit('/', 1)[0]}/build-{build}/{name}"
        if name in leave_out:
            continue
        body = artifact(code["S3Key"], build)
        _call(f"upload {name}", aws.s3.put_object, Bucket=bucket, Key=code["S3Key"], Body=body)
        uploaded[code["S3Key"]] = base64.b64encode(hashlib.sha256(body).digest()).decode()
    _call(
        "update-stack",
        aws.cloudformation.update_stack,
        StackName=STACK,
        TemplateBody=json.dumps(template),
        Capabilities=CAPABILITIES,
    )
    _wait(aws, "UPDATE_COMPLETE", "update-stack")
    return DeployedStack(aws, template, uploaded)


def rehearse(template: dict, builds: int = 2, leave_out: frozenset[str] = frozenset()) -> list[str]:
    """Deploys `template` `builds` times on a fresh moto (a first deploy, then redeploys of new
    code), and returns what is wrong with the stack after each, read back with the SDK."""
    found = []
    with moto_on_loopback() as endpoint:
        aws = Aws(endpoint)
        for build in range(1, builds + 1):
            stack = deploy(aws, template, build, leave_out)
            found.extend(f"after deploy {build}: {problem}" for problem in problems(stack))
    return found


def check_deploys(template: dict, expected: dict | None = None) -> None:
    """A check like those of checks.py: raises one AssertionError listing what went wrong."""
    try:
        found = rehearse(template)
    except DeployFailed as failure:
        raise AssertionError(f"deploy rehearsal: the stack did not deploy\n  - {failure}") from failure
    if found:
        listed = "\n".join(f"  - {line}" for line in found)
        raise AssertionError(f"deploy rehearsal: {len(found)} problem(s)\n{listed}")


# ------------------------------------------------------------------------------ reading it back


def problems(stack: DeployedStack) -> list[str]:
    """What is wrong with the deployed stack, read back resource by resource with the SDK."""
    found: list[str] = []
    for check in (
        _every_resource_deployed,
        _deployment_bucket,
        _functions,
        _event_source_mappings,
        _queues,
        _http_api,
        _alarms_and_topic,
        _dashboard,
        _journey_query,
        _schedule,
    ):
        found.extend(check(stack))
    return found


def _physical(stack: DeployedStack, logical_id: str) -> str | None:
    return stack.resources.get(logical_id, {}).get("PhysicalResourceId")


def _of_type(stack: DeployedStack, kind: str) -> dict[str, dict]:
    return {name: r for name, r in stack.template["Resources"].items() if r["Type"] == kind}


def _every_resource_deployed(stack: DeployedStack) -> list[str]:
    deployed = stack.resources
    found = []
    for name, resource in stack.template["Resources"].items():
        summary = deployed.get(name)
        if summary is None:
            found.append(f"{name} ({resource['Type']}) was not deployed")
        elif not summary["ResourceStatus"].endswith("_COMPLETE"):
            found.append(f"{name}: {summary['ResourceStatus']}")
    return found


def _deployment_bucket(stack: DeployedStack) -> list[str]:
    bucket = _physical(stack, "ServerlessDeploymentBucket")
    statements = BUCKET_POLICIES.get(bucket, {}).get("Statement", [])
    refuses_plain_http = any(
        s.get("Effect") == "Deny" and s.get("Condition") == {"Bool": {"aws:SecureTransport": False}} for s in statements
    )
    return [] if refuses_plain_http else [f"the deployment bucket {bucket} does not refuse requests without TLS"]


def _ref_target(value) -> tuple[str, str] | None:
    """(logical id, 'Ref' or the attribute) of a Ref or GetAtt."""
    if isinstance(value, dict) and "Ref" in value:
        return value["Ref"], "Ref"
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        logical_id, attribute = value["Fn::GetAtt"]
        return logical_id, attribute
    return None


def _variable_problem(stack: DeployedStack, variable: str, value: str) -> str | None:
    """Whether a deployed environment value is what its variable's readers take it for."""
    aws = stack.aws
    try:
        if variable.endswith("_QUEUE_URL"):
            aws.sqs.get_queue_attributes(QueueUrl=value, AttributeNames=["QueueArn"])
        elif variable.endswith("_TABLE"):
            aws.dynamodb.describe_table(TableName=value)
        elif variable.endswith("_STREAM"):
            aws.kinesis.describe_stream_summary(StreamName=value)
        elif variable == "PUBLIC_BASE_URL":
            endpoints = [api["ApiEndpoint"] for api in aws.apigatewayv2.get_apis()["Items"]]
            if value not in endpoints:
                return f"{value!r} is not the HTTP API's endpoint {endpoints}"
        else:
            return f"{value!r} comes from a resource, and the rehearsal does not know what {variable} should be"
    except botocore.exceptions.ClientError as error:
        return f"{value!r} is not what {variable} names: {error.response['Error']['Code']}"
    return None


def _functions(stack: DeployedStack) -> list[str]:
    aws, found = stack.aws, []
    for logical_id, resource in _of_type(stack, "AWS::Lambda::Function").items():
        want = resource["Properties"]
        name = want["FunctionName"]
        try:
            got = aws.lambda_.get_function(FunctionName=name)["Configuration"]
        except botocore.exceptions.ClientError as error:
            found.append(f"{name}: {error}")
            continue
        role = aws.iam.get_role(RoleName=_physical(stack, want["Role"]["Fn::GetAtt"][0]))["Role"]["Arn"]
        if got["Role"] != role:
            found.append(f"{name}: runs as {got['Role']}, not its role {role}")
        for key in ("Runtime", "Handler", "Timeout", "MemorySize", "Architectures"):
            if got.get(key) != want.get(key):
                found.append(f"{name}: {key} {got.get(key)!r}, the template says {want.get(key)!r}")
        if got.get("TracingConfig", {}).get("Mode") != want.get("TracingConfig", {}).get("Mode", "PassThrough"):
            found.append(f"{name}: tracing {got.get('TracingConfig')}, the template says {want.get('TracingConfig')}")
        key = want["Code"]["S3Key"]
        if key not in stack.uploaded:
            found.append(f"{name}: its artifact {key} was never uploaded (a real deploy fails on NoSuchKey)")
        elif got.get("CodeSha256") != stack.uploaded[key]:
            found.append(f"{name}: runs code {got.get('CodeSha256')}, not the {key} uploaded for it")
        variables = got.get("Environment", {}).get("Variables", {})
        for variable, template_value in want.get("Environment", {}).get("Variables", {}).items():
            value = variables.get(variable)
            if not isinstance(value, str) or not value or "{" in value:
                found.append(f"{name}: {variable} deployed as {value!r}")
            elif _ref_target(template_value) is not None:
                problem = _variable_problem(stack, variable, value)
                if problem:
                    found.append(f"{name}: {variable} {problem}")
    return found


def _event_source_mappings(stack: DeployedStack) -> list[str]:
    aws, found = stack.aws, []
    for logical_id, resource in _of_type(stack, "AWS::Lambda::EventSourceMapping").items():
        want = resource["Properties"]
        function = _physical(stack, want["FunctionName"]["Fn::GetAtt"][0])
        arn = aws.lambda_.get_function(FunctionName=function)["Configuration"]["FunctionArn"]
        source = want["EventSourceArn"]["Fn::GetAtt"][0]
        mappings = [
            m for m in aws.lambda_.list_event_source_mappings()["EventSourceMappings"] if m["FunctionArn"] == arn
        ]
        if len(mappings) != 1:
            found.append(f"{logical_id}: {function} has {len(mappings)} event source mappings, expected 1")
            continue
        got = mappings[0]
        if source not in stack.arns or got["EventSourceArn"] != stack.arns[source]:
            found.append(f"{logical_id}: reads {got['EventSourceArn']}, not {source}")
        for key in ("BatchSize", "FunctionResponseTypes", "MaximumRetryAttempts", "BisectBatchOnFunctionError"):
            if key in want and got.get(key) != want[key]:
                found.append(f"{logical_id}: {key} {got.get(key)!r}, the template says {want[key]!r}")
        on_failure = want.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
        if on_failure is not None:
            queue = on_failure["Fn::GetAtt"][0]
            got_failure = got.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
            if got_failure != stack.arns.get(queue):
                found.append(f"{logical_id}: on failure sends to {got_failure}, not {queue}")
        if want.get("FilterCriteria") and got.get("FilterCriteria") != want["FilterCriteria"]:
            found.append(f"{logical_id}: filter {got.get('FilterCriteria')}, the template says {want['FilterCriteria']}")
    return found


def _queues(stack: DeployedStack) -> list[str]:
    aws, found, arns = stack.aws, [], stack.arns
    for logical_id, resource in _of_type(stack, "AWS::SQS::Queue").items():
        want = resource.get("Properties", {})
        attributes = aws.sqs.get_queue_attributes(QueueUrl=_physical(stack, logical_id), AttributeNames=["All"])["Attributes"]
        if "VisibilityTimeout" in want and int(attributes["VisibilityTimeout"]) != want["VisibilityTimeout"]:
            found.append(f"{logical_id}: visibility timeout {attributes['VisibilityTimeout']}, the template says {want['VisibilityTimeout']}")
        redrive = want.get("RedrivePolicy")
        if redrive:
            got = json.loads(attributes.get("RedrivePolicy", "{}"))
            target = redrive["deadLetterTargetArn"]["Fn::GetAtt"][0]
            if got.get("deadLetterTargetArn") != arns.get(target):
                found.append(f"{logical_id}: dead-letters to {got.get('deadLetterTargetArn')}, not {target}")
            if int(got.get("maxReceiveCount", 0)) != int(redrive["maxReceiveCount"]):
                found.append(f"{logical_id}: maxReceiveCount {got.get('maxReceiveCount')}, the template says {redrive['maxReceiveCount']}")
    return found


def _http_api(stack: DeployedStack) -> list[str]:
    aws, found = stack.aws, []
    api_id = _physical(stack, "HttpApi")
    routes = {r["RouteKey"]: r for r in aws.apigatewayv2.get_routes(ApiId=api_id)["Items"]}
    integrations = {i["IntegrationId"]: i for i in aws.apigatewayv2.get_integrations(ApiId=api_id)["Items"]}
    functions = {f["FunctionArn"]: f["FunctionName"] for f in aws.lambda_.list_functions()["Functions"]}
    for logical_id, resource in _of_type(stack, "AWS::ApiGatewayV2::Route").items():
        key = resource["Properties"]["RouteKey"]
        route = routes.get(key)
        if route is None:
            found.append(f"{key}: no such route on the deployed API")
            continue
        integration = integrations.get(route.get("Target", "").removeprefix("integrations/"))
        if integration is None:
            found.append(f"{key}: its target {route.get('Target')!r} is no integration of the API")
        elif integration.get("IntegrationUri") not in functions:
            found.append(f"{key}: integrates {integration.get('IntegrationUri')}, which is no deployed function")
    stages = [s["StageName"] for s in aws.apigatewayv2.get_stages(ApiId=api_id)["Items"]]
    if "$default" not in stages:
        found.append(f"the API's stages are {stages}, without $default")
    for logical_id, resource in _of_type(stack, "AWS::Lambda::Permission").items():
        want = resource["Properties"]
        function = _physical(stack, want["FunctionName"]["Fn::GetAtt"][0])
        policy = json.loads(aws.lambda_.get_policy(FunctionName=function)["Policy"])
        principals = [s.get("Principal", {}).get("Service") for s in policy["Statement"]]
        if want["Principal"] not in principals:
            found.append(f"{logical_id}: {function} may not be invoked by {want['Principal']} ({principals})")
    return found


def _alarms_and_topic(stack: DeployedStack) -> list[str]:
    aws, found = stack.aws, []
    topics = [t["TopicArn"] for t in aws.sns.list_topics()["Topics"]]
    alarms = {a["AlarmName"]: a for a in aws.cloudwatch.describe_alarms(MaxRecords=100)["MetricAlarms"]}
    functions = {f["FunctionName"] for f in aws.lambda_.list_functions()["Functions"]}
    queues = {url.rsplit("/", 1)[1] for url in aws.sqs.list_queues().get("QueueUrls", [])}
    for logical_id, resource in _of_type(stack, "AWS::CloudWatch::Alarm").items():
        name = resource["Properties"]["AlarmName"]
        alarm = alarms.get(name)
        if alarm is None:
            found.append(f"{logical_id}: no alarm {name}")
            continue
        for actions in ("AlarmActions", "OKActions"):
            if not alarm.get(actions) or any(a not in topics for a in alarm[actions]):
                found.append(f"{name}: {actions} {alarm.get(actions)} are not the stack's topics {topics}")
        metrics = [alarm] if alarm.get("MetricName") else [q["MetricStat"]["Metric"] for q in alarm.get("Metrics", []) if "MetricStat" in q]
        for metric in metrics:
            for dimension in metric.get("Dimensions", []):
                known = {"FunctionName": functions, "QueueName": queues}.get(dimension["Name"])
                if known is not None and dimension["Value"] not in known:
                    found.append(f"{name}: watches {dimension['Name']} {dimension['Value']}, which is not deployed")
    for logical_id, resource in _of_type(stack, "AWS::SNS::Topic").items():
        arn = _physical(stack, logical_id)
        subscriptions = aws.sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]
        for want in resource["Properties"].get("Subscription", []):
            if not any(s["Protocol"] == want["Protocol"] and s["Endpoint"] == want["Endpoint"] for s in subscriptions):
                found.append(f"{logical_id}: no {want['Protocol']} subscription for {want['Endpoint']}")
    return found


def _dashboard(stack: DeployedStack) -> list[str]:
    aws, found = stack.aws, []
    alarm_arns = {a["AlarmArn"] for a in aws.cloudwatch.describe_alarms(MaxRecords=100)["MetricAlarms"]}
    functions = {f["FunctionName"] for f in aws.lambda_.list_functions()["Functions"]}
    for logical_id, resource in _of_type(stack, "AWS::CloudWatch::Dashboard").items():
        name = resource["Properties"]["DashboardName"]
        try:
            body = aws.cloudwatch.get_dashboard(DashboardName=name)["DashboardBody"]
            widgets = json.loads(body)["widgets"]
        except (botocore.exceptions.ClientError, ValueError, KeyError) as error:
            found.append(f"{name}: no dashboard with widgets ({error})")
            continue
        if "${" in body:
            found.append(f"{name}: unresolved {body[body.index('${'):][:40]!r}")
        for widget in widgets:
            for arn in widget["properties"].get("alarms", []):
                if arn not in alarm_arns:
                    found.append(f"{name}: shows alarm {arn}, which is not deployed")
            for metric in widget["properties"].get("metrics", []):
                if "FunctionName" in metric and metric[metric.index("FunctionName") + 1] not in functions:
                    found.append(f"{name}: graphs function {metric[metric.index('FunctionName') + 1]}, which is not deployed")
    return found


def _journey_query(stack: DeployedStack) -> list[str]:
    found = []
    for logical_id in _of_type(stack, "AWS::Logs::QueryDefinition"):
        definition = QUERY_DEFINITIONS.get(_physical(stack, logical_id) or "")
        groups = {g["logGroupName"] for g in stack.aws.logs.describe_log_groups()["logGroups"]}
        if definition is None:
            found.append(f"{logical_id}: not deployed")
        elif set(definition["LogGroupNames"]) != {g for g in groups if g.startswith("/aws/lambda/")}:
            found.append(f"{logical_id}: queries {sorted(definition['LogGroupNames'])}, the functions log to {sorted(groups)}")
    return found


def _schedule(stack: DeployedStack) -> list[str]:
    aws, found = stack.aws, []
    for logical_id, resource in _of_type(stack, "AWS::Events::Rule").items():
        rule = _physical(stack, logical_id)
        targets = [t["Arn"] for t in aws.events.list_targets_by_rule(Rule=rule)["Targets"]]
        want = _physical(stack, resource["Properties"]["Targets"][0]["Arn"]["Fn::GetAtt"][0])
        arn = aws.lambda_.get_function(FunctionName=want)["Configuration"]["FunctionArn"]
        if targets != [arn]:
            found.append(f"{logical_id}: targets {targets}, not {arn}")
    return found
