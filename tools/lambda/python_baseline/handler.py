"""The Python baseline for tools/lambda-check: place-order's DynamoDB write, done with boto3.

A minimal API Gateway (HTTP API, payload 2.0) handler as it would be deployed on the Lambda
Python runtime: boto3 comes with that runtime, so the deployed zip is this file alone. It does
what place-order does to DynamoDB (one PutItem of the same order item, conditional on the order
being new) and nothing else: no Kinesis record, no outbox, no signed customer token, no
validation beyond what the put needs. It exists to be measured beside the Rust functions (cold
init to the first `next`, peak RSS, zip size, invocation time), not to be deployed.
"""

import json
import os
import uuid
from datetime import datetime, timezone

import boto3

# Module scope runs at init, as Lambda's Python runtime does: the client is made once.
TABLE = os.environ["ORDERS_TABLE"]
DYNAMODB = boto3.client("dynamodb")

# The catalogue place-order prices from (crates/domain): the sample orders chocolate-fudge.
PRODUCTS = {"chocolate-fudge": ("Chocolate fudge cake", 3450)}


def handler(event, context):
    order = json.loads(event.get("body") or "{}")
    product_name, unit_price_cents = PRODUCTS[order["productId"]]
    quantity = int(order["quantity"])
    order_id = str(uuid.uuid4())
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    item = {
        "orderId": {"S": order_id},
        "status": {"S": "placed"},
        "customerName": {"S": order["name"]},
        "address": {"S": order["address"]},
        "productId": {"S": order["productId"]},
        "productName": {"S": product_name},
        "quantity": {"N": str(quantity)},
        "unitPriceCents": {"N": str(unit_price_cents)},
        "totalCents": {"N": str(unit_price_cents * quantity)},
        "createdAt": {"S": now},
        "history": {"M": {"placed": {"S": now}}},
    }
    for optional in ("email", "notes"):
        if order.get(optional):
            item[optional] = {"S": order[optional]}
    DYNAMODB.put_item(
        TableName=TABLE,
        Item=item,
        ConditionExpression="attribute_not_exists(#id)",
        ExpressionAttributeNames={"#id": "orderId"},
    )
    body = {"orderId": order_id, "status": "placed", "totalCents": unit_price_cents * quantity}
    return {"statusCode": 201, "headers": {"content-type": "application/json"}, "body": json.dumps(body)}
