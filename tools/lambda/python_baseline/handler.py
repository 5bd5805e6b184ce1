"""The Python baseline for tools/lambda-check: place-order's DynamoDB work, done with boto3.

A minimal API Gateway (HTTP API, payload 2.0) handler as it would be deployed on the Lambda
Python runtime: boto3 comes with that runtime, so the deployed zip is this file alone. It does
what place-order does to DynamoDB and nothing else: one strongly consistent BatchGetItem of the
shop's rules (the catalogue it prices from), then one TransactWriteItems of the order item
(conditional on the order being new) and its delivery day's counter (conditional on room). No
Kinesis record, no outbox, no signed customer token, no validation beyond what the writes need,
no search for another day when the first is full. It exists to be measured beside the Rust
functions (cold init to the first `next`, peak RSS, zip size, invocation time), not to be
deployed.
"""

import json
import os
import uuid
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import boto3

# Module scope runs at init, as Lambda's Python runtime does: the client is made once.
TABLE = os.environ["ORDERS_TABLE"]
ZONE = ZoneInfo(os.environ.get("SHOP_TIME_ZONE", "Europe/London"))
DYNAMODB = boto3.client("dynamodb")

# What a new shop sells until the baker saves a catalogue (crates/domain's Catalogue::sample):
# the sample orders product 1.
SAMPLE_PRODUCTS = {1: ("Chocolate fudge cake", 3450)}
DAY_CAPACITY = 20  # CapacitySettings::default()
RULES = ["shop#catalogue", "shop#capacity", "shop#status"]


def products() -> dict:
    found = DYNAMODB.batch_get_item(
        RequestItems={TABLE: {"Keys": [{"orderId": {"S": key}} for key in RULES], "ConsistentRead": True}}
    )
    for item in found["Responses"].get(TABLE, []):
        if item["orderId"]["S"] == "shop#catalogue":
            catalogue = json.loads(item["document"]["S"])
            return {p["productId"]: (p["name"], p["priceCents"]) for p in catalogue["products"] if p["available"]}
    return SAMPLE_PRODUCTS


def handler(event, context):
    order = json.loads(event.get("body") or "{}")
    product_name, unit_price_cents = products()[int(order["productId"])]
    quantity = int(order["quantity"])
    order_id = uuid.uuid4().hex
    now = datetime.now(timezone.utc)
    local = now.astimezone(ZONE)
    # The earliest day still taking orders: tomorrow before the 18:00 cut-off.
    delivery = str(local.date() + timedelta(days=1 if local.hour < 18 else 2))
    at = now.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    item = {
        "orderId": {"S": order_id},
        "status": {"S": "placed"},
        "customerName": {"S": order["name"]},
        "address": {"S": order["address"]},
        "productId": {"N": str(int(order["productId"]))},
        "productName": {"S": product_name},
        "quantity": {"N": str(quantity)},
        "unitPriceCents": {"N": str(unit_price_cents)},
        "totalCents": {"N": str(unit_price_cents * quantity)},
        "deliveryDate": {"S": delivery},
        "createdAt": {"S": at},
        "history": {"M": {"placed": {"S": at}}},
    }
    for optional in ("email", "notes"):
        if order.get(optional):
            item[optional] = {"S": order[optional]}
    DYNAMODB.transact_write_items(
        TransactItems=[
            {
                "Put": {
                    "TableName": TABLE,
                    "Item": item,
                    "ConditionExpression": "attribute_not_exists(#id)",
                    "ExpressionAttributeNames": {"#id": "orderId"},
                }
            },
            {
                "Update": {
                    "TableName": TABLE,
                    "Key": {"orderId": {"S": f"day#{delivery}"}},
                    "UpdateExpression": "ADD #booked :quantity",
                    "ConditionExpression": "attribute_not_exists(#booked) OR #booked <= :most",
                    "ExpressionAttributeNames": {"#booked": "booked"},
                    "ExpressionAttributeValues": {
                        ":quantity": {"N": str(quantity)},
                        ":most": {"N": str(DAY_CAPACITY - quantity)},
                    },
                }
            },
        ]
    )
    body = {"orderId": order_id, "status": "placed", "totalCents": unit_price_cents * quantity, "deliveryDate": delivery}
    return {"statusCode": 201, "headers": {"content-type": "application/json"}, "body": json.dumps(body)}
