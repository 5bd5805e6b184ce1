"""The shop's AWS resources as the packaged template defines them, made in moto; each function's
environment, resolved against them; and the readers the checks use.

A function gets exactly what its template resource gives it: a variable serverless.yml stops
giving is missing at the function's start. What the check adds is only what stands in for the
outside world: moto behind AWS_ENDPOINT_URL, the SSM parameters' values, the sender's SES
identity, and the partner stand-ins in place of the partners' URLs.
"""

from __future__ import annotations

import json
import time
from typing import Callable

from . import template as cfn
from .expect import CheckFailed, expect
from .moto_server import Moto
from .partners import PARTNER_URL_VARIABLES, PartnerApis

# Where the check deploys the template: the account, region and HTTP API id the samples in
# events/ carry in their requestContext.
REGION = "eu-west-1"
ACCOUNT = "123456789012"
HTTP_API_ID = "abc123defg"
# The secrets' values, put into the SSM SecureString parameters the template names (as
# <SECRET>_PARAMETER). The samples were made with them: fulfill-order's sends the baker key, the
# customer token in confirm-delivery's and order-queries' samples is signed with the secret.
SECRETS = {"SIGNING_SECRET": "test-signing-secret", "BAKER_API_KEY": "test-baker-key"}


class Shop:
    def __init__(self, template: dict, moto: Moto, partners: PartnerApis):
        self.template = template
        self.moto = moto
        self.partners = partners
        self.functions = cfn.functions(template)
        self.attributes: dict[str, dict[str, str]] = {}
        self.environments: dict[str, dict[str, str]] = {}
        self.table = self.stream = ""

    def arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{REGION}:{ACCOUNT}:{resource}"

    def resolver(self) -> cfn.Resolver:
        pseudo = {"AWS::Region": REGION, "AWS::AccountId": ACCOUNT, "AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com"}
        return cfn.Resolver(pseudo, self.attributes)

    def create(self, create_table: Callable[[str], None]) -> None:
        """Stands up every table, stream, queue and HTTP API of the template (the table with
        `create_table(name)`), then resolves each function's environment against them."""
        for logical_id, resource in self.template["Resources"].items():
            kind, properties = resource.get("Type"), resource.get("Properties") or {}

            def name(property: str) -> str:
                # Without a name CloudFormation makes one up; the logical id will do here.
                return self.resolver().resolve(properties.get(property, logical_id), f"{logical_id} {property}")

            if kind == "AWS::DynamoDB::Table":
                self.attributes[logical_id] = self.make_table(name("TableName"), create_table)
            elif kind == "AWS::Kinesis::Stream":
                self.attributes[logical_id] = self.make_stream(name("Name"), int(properties.get("ShardCount", 1)))
            elif kind == "AWS::SQS::Queue":
                self.attributes[logical_id] = self.make_queue(name("QueueName"))
            elif kind == "AWS::ApiGatewayV2::Api":
                self.attributes[logical_id] = self.make_http_api()
        tables = [id for id, r in self.template["Resources"].items() if r.get("Type") == "AWS::DynamoDB::Table"]
        streams = [id for id, r in self.template["Resources"].items() if r.get("Type") == "AWS::Kinesis::Stream"]
        expect(len(tables) == 1 and len(streams) == 1, f"expected one table and one stream, found {tables} and {streams}")
        self.table, self.stream = self.attributes[tables[0]]["Ref"], self.attributes[streams[0]]["Ref"]
        for name, function in self.functions.items():
            self.environments[name] = self.environment(function)

    def make_table(self, name: str, create_table: Callable[[str], None]) -> dict[str, str]:
        create_table(name)
        return {"Ref": name, "Arn": self.arn("dynamodb", f"table/{name}")}

    def make_stream(self, name: str, shards: int) -> dict[str, str]:
        kinesis = self.moto.client("kinesis")
        kinesis.create_stream(StreamName=name, ShardCount=shards)
        for _ in range(100):
            summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
            if summary["StreamStatus"] == "ACTIVE":
                return {"Ref": name, "Arn": summary["StreamARN"]}
            time.sleep(0.1)
        raise CheckFailed(f"stream {name} did not become ACTIVE in moto")

    def make_queue(self, name: str) -> dict[str, str]:
        sqs = self.moto.client("sqs")
        url = sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        return {"Ref": url, "Arn": arn, "QueueName": name}

    def make_http_api(self) -> dict[str, str]:
        return {"Ref": HTTP_API_ID, "ApiEndpoint": f"https://{HTTP_API_ID}.execute-api.{REGION}.amazonaws.com"}

    def environment(self, function: cfn.Function) -> dict[str, str]:
        """The function's variables resolved, with the stand-ins behind the outside world's names."""
        resolver = self.resolver()
        env = {var: resolver.resolve(value, f"{function.logical_id} {var}") for var, value in function.environment.items()}
        for variable in PARTNER_URL_VARIABLES:
            if variable in env:
                env[variable] = self.partners.stand_in_for(env[variable])
        ssm = self.moto.client("ssm")
        for variable, parameter in env.items():
            if not variable.endswith("_PARAMETER"):
                continue
            secret = variable.removesuffix("_PARAMETER")
            expect(secret in SECRETS, f"{function.name}: {variable} names a secret the check has no value for")
            ssm.put_parameter(Name=parameter, Type="SecureString", Value=SECRETS[secret], Overwrite=True)
        if "SENDER_EMAIL" in env:
            self.moto.client("sesv2").create_email_identity(EmailIdentity=env["SENDER_EMAIL"])
        return env

    # ---- reading what the functions did

    def order(self, order_id: str) -> dict | None:
        dynamodb = self.moto.client("dynamodb")
        return dynamodb.get_item(TableName=self.table, Key={"orderId": {"S": order_id}}, ConsistentRead=True).get("Item")

    def booked(self, day: str) -> int:
        """The cakes booked on `day` (YYYY-MM-DD): its counter `day#<day>` in the order table
        (crates/aws/src/dynamodb/bakery_item.rs), 0 if there is none."""
        item = self.order(f"day#{day}") or {}
        return int(item.get("booked", {}).get("N", "0"))

    def all_booked(self) -> dict[str, int]:
        """Every day counter: {YYYY-MM-DD: cakes booked}."""
        return {
            item["orderId"]["S"].removeprefix("day#"): int(item.get("booked", {}).get("N", "0"))
            for item in self.scan()
            if item["orderId"]["S"].startswith("day#")
        }

    def book(self, day: str, cakes: int) -> None:
        """Adds `cakes` to `day`'s counter, as an order for that day takes them."""
        self.moto.client("dynamodb").update_item(
            TableName=self.table,
            Key={"orderId": {"S": f"day#{day}"}},
            UpdateExpression="ADD booked :cakes",
            ExpressionAttributeValues={":cakes": {"N": str(cakes)}},
        )

    def scan(self) -> list[dict]:
        """Every stored item: the orders, the shop's settings (`shop#…`) and the day counters
        (`day#…`) (a Scan: fine for a check)."""
        dynamodb = self.moto.client("dynamodb")
        items, start = [], {}
        while True:
            page = dynamodb.scan(TableName=self.table, ConsistentRead=True, **start)
            items += page["Items"]
            if "LastEvaluatedKey" not in page:
                return items
            start = {"ExclusiveStartKey": page["LastEvaluatedKey"]}

    def stream_events(self) -> list[dict]:
        kinesis = self.moto.client("kinesis")
        events = []
        for shard in kinesis.list_shards(StreamName=self.stream)["Shards"]:
            iterator = kinesis.get_shard_iterator(
                StreamName=self.stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
            while iterator:
                page = kinesis.get_records(ShardIterator=iterator)
                if not page["Records"]:
                    break
                for record in page["Records"]:
                    events.append({"partitionKey": record["PartitionKey"], **json.loads(record["Data"])})
                iterator = page.get("NextShardIterator")
        return events

    def take_messages(self, queue_url: str) -> list[dict]:
        """Every message now on the queue, removed from it."""
        sqs = self.moto.client("sqs")
        taken = []
        while True:
            page = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
            messages = page.get("Messages", [])
            if not messages:
                return taken
            for message in messages:
                taken.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])

    def sent_emails(self) -> list[dict]:
        return self.moto.data().get("ses", {}).get("Message", [])
