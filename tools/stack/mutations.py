"""Deliberately broken copies of serverless.yml: one defect each, and which check must catch it.

Each edit must match the real file exactly as often as it says, so that a change to
serverless.yml that moves the text makes the test fail loudly instead of testing an unbroken copy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

import checks
import rehearsal


@dataclass(frozen=True)
class Mutation:
    name: str
    what: str
    edit: Callable[[str], str]
    check: Callable[[dict, dict], None]
    message: str  # a regular expression the check's AssertionError must match


def replace(old: str, new: str, count: int = 1) -> Callable[[str], str]:
    def edit(text: str) -> str:
        found = text.count(old)
        if found != count:
            raise ValueError(f"expected {count} occurrence(s) of this text in serverless.yml, found {found}:\n{old}")
        return text.replace(old, new)

    return edit


def regex(pattern: str, new: str, count: int) -> Callable[[str], str]:
    def edit(text: str) -> str:
        result, found = re.subn(pattern, new, text)
        if found != count:
            raise ValueError(f"expected {count} match(es) of {pattern!r} in serverless.yml, found {found}")
        return result

    return edit


def within(logical_id: str, old: str, new: str) -> Callable[[str], str]:
    """Replaces `old` once in the resource `logical_id` of serverless.yml's resources."""

    def edit(text: str) -> str:
        start = text.find(f"\n    {logical_id}:\n")
        end = text.find("\n\n", start)
        if start < 0 or end < 0 or text.count(old, start, end) != 1:
            raise ValueError(f"expected 1 occurrence of this text in {logical_id} of serverless.yml:\n{old}")
        return text[:start] + text[start:end].replace(old, new) + text[end:]

    return edit


def without_resource(logical_id: str) -> Callable[[str], str]:
    """Deletes the resource `logical_id` of serverless.yml's resources, up to the blank line after it."""
    return regex(rf"    {logical_id}:\n(?:      .*\n)+\n", "", 1)


def policy_start(policy: str) -> str:
    return (
        f"          - PolicyName: {policy}\n"
        "            PolicyDocument:\n"
        "              Version: '2012-10-17'\n"
        "              Statement:\n"
    )


MUTATIONS = [
    Mutation(
        "iam-wildcard-action",
        "notify-delivery's role also allows dynamodb:* on the table",
        replace(
            policy_start("notify-delivery"),
            policy_start("notify-delivery")
            + "                - Effect: Allow\n"
            "                  Action: dynamodb:*\n"
            "                  Resource:\n"
            "                    Fn::GetAtt: [OrdersTable, Arn]\n",
        ),
        checks.check_iam,
        r"notify-delivery \(NotifyDeliveryRole\): wildcard action 'dynamodb:\*'",
    ),
    Mutation(
        "iam-resource-star",
        'confirm-delivery\'s role may send to any queue (Resource: "*")',
        replace(
            policy_start("confirm-delivery"),
            policy_start("confirm-delivery")
            + "                - Effect: Allow\n"
            "                  Action: sqs:SendMessage\n"
            "                  Resource: '*'\n",
        ),
        checks.check_iam,
        r'confirm-delivery \(ConfirmDeliveryRole\): Resource "\*"',
    ),
    Mutation(
        "iam-foreign-queue",
        "notify-delivery's role consumes the feedback queue instead of its own delivery queue",
        replace(
            "                    - sqs:ChangeMessageVisibility\n"
            "                  Resource:\n"
            "                    Fn::GetAtt: [DeliveryQueue, Arn]\n",
            "                    - sqs:ChangeMessageVisibility\n"
            "                  Resource:\n"
            "                    Fn::GetAtt: [FeedbackQueue, Arn]\n",
        ),
        checks.check_iam,
        r"notify-delivery \(NotifyDeliveryRole\): grants more than it needs: .*FeedbackQueue",
    ),
    Mutation(
        "kinesis-filter-removed",
        "notify-baker's Kinesis trigger loses its filter on type = order_placed or order_cancelled",
        replace(
            "          filterPatterns:\n"
            "            - data:\n"
            "                type: [order_placed, order_cancelled]\n",
            "",
        ),
        checks.check_triggers,
        r"notify-baker \(\w+\): filter patterns \[\]",
    ),
    Mutation(
        "customer-filter-lets-everyone-through",
        "notify-customer's filter drops its customerHasEmail condition, so the function is invoked "
        "for every customer's records, those who gave no address too",
        replace(
            "                type: [order_placed, order_fulfilled, order_cancelled]\n"
            "                customerHasEmail: [true]\n",
            "                type: [order_placed, order_fulfilled, order_cancelled]\n",
        ),
        checks.check_triggers,
        r"notify-customer \(\w+\): filter patterns",
    ),
    Mutation(
        "cancellations-not-for-the-baker",
        "notify-baker's filter lets only order_placed through, so the baker never hears of a cancel",
        replace(
            "                type: [order_placed, order_cancelled]\n",
            "                type: [order_placed]\n",
        ),
        checks.check_triggers,
        r"notify-baker \(\w+\): filter patterns \[\{'data': \{'type': \['order_placed'\]\}\}\]",
    ),
    Mutation(
        "cancellations-for-the-courier",
        "request-delivery's filter also lets order_cancelled through",
        replace(
            "                type: [order_fulfilled]\n",
            "                type: [order_fulfilled, order_cancelled]\n",
        ),
        checks.check_triggers,
        r"request-delivery \(\w+\): filter patterns \[\{'data': \{'type': \['order_fulfilled', 'order_cancelled'\]\}\}\]",
    ),
    Mutation(
        "shop-role-deletes-orders",
        "manage-shop's role may also DeleteItem on the table, which would let it delete orders",
        within(
            "ManageShopRole",
            "dynamodb:PutItem, dynamodb:UpdateItem]",
            "dynamodb:PutItem, dynamodb:UpdateItem, dynamodb:DeleteItem]",
        ),
        checks.check_iam,
        r"manage-shop \(ManageShopRole\): grants more than it needs: \[\('dynamodb:DeleteItem', 'OrdersTable'\)\]",
    ),
    Mutation(
        "place-order-cannot-read-rules",
        "place-order's role loses BatchGetItem, so it cannot read the shop's rules or booked days",
        within(
            "PlaceOrderRole",
            "Action: [dynamodb:BatchGetItem, dynamodb:GetItem,",
            "Action: [dynamodb:GetItem,",
        ),
        checks.check_iam,
        r"place-order \(PlaceOrderRole\): lacks what its handler calls: \[\('dynamodb:BatchGetItem', 'OrdersTable'\)\]",
    ),
    Mutation(
        "kinesis-response-type-dropped",
        "request-delivery's Kinesis trigger no longer reports batch item failures",
        replace(
            "          functionResponseType: ReportBatchItemFailures\n"
            "          bisectBatchOnFunctionError: true\n"
            "          maximumRetryAttempts: 5\n"
            "          maximumRecordAgeInSeconds: 3600\n"
            "          destinations:\n"
            "            onFailure:\n"
            "              type: sqs\n"
            "              arn:\n"
            "                Fn::GetAtt: [RequestDeliveryFailureQueue, Arn]\n",
            "          bisectBatchOnFunctionError: true\n"
            "          maximumRetryAttempts: 5\n"
            "          maximumRecordAgeInSeconds: 3600\n"
            "          destinations:\n"
            "            onFailure:\n"
            "              type: sqs\n"
            "              arn:\n"
            "                Fn::GetAtt: [RequestDeliveryFailureQueue, Arn]\n",
        ),
        checks.check_triggers,
        r"request-delivery \(\w+\): FunctionResponseTypes None, expected \['ReportBatchItemFailures'\]",
    ),
    Mutation(
        "queue-redrive-removed",
        "the delivery queue has no RedrivePolicy",
        replace(
            "        RedrivePolicy:\n"
            "          deadLetterTargetArn:\n"
            "            Fn::GetAtt: [DeliveryDeadLetterQueue, Arn]\n"
            "          maxReceiveCount: 5\n",
            "",
        ),
        checks.check_queues,
        r"DeliveryQueue: no RedrivePolicy",
    ),
    Mutation(
        "dead-letter-queue-removed",
        "the feedback queue's dead-letter queue (and its output) is deleted",
        lambda text: replace(
            "    FeedbackDeadLetterQueue:\n"
            "      Type: AWS::SQS::Queue\n"
            "      Properties:\n"
            "        QueueName: ${self:service}-${sls:stage}-feedback-dlq\n"
            "        MessageRetentionPeriod: 1209600\n"
            "        SqsManagedSseEnabled: true\n",
            "",
        )(
            replace(
                "    FeedbackDeadLetterQueueUrl:\n      Value:\n        Ref: FeedbackDeadLetterQueue\n",
                "",
            )(text)
        ),
        checks.check_queues,
        r"FeedbackQueue: its dead-letter queue FeedbackDeadLetterQueue does not exist",
    ),
    Mutation(
        "visibility-timeout-too-low",
        "the delivery queue's visibility timeout drops to 30 s, under 6 x notify-delivery's 15 s",
        replace(
            "        QueueName: ${self:service}-${sls:stage}-delivery\n        VisibilityTimeout: 90\n",
            "        QueueName: ${self:service}-${sls:stage}-delivery\n        VisibilityTimeout: 30\n",
        ),
        checks.check_queues,
        r"DeliveryQueue: VisibilityTimeout 30 s < 6 x notify-delivery's Timeout 15 s",
    ),
    Mutation(
        "artifacts-share-a-name",
        "every function's artifact is cargo lambda's own target/lambda/<name>/bootstrap.zip",
        regex(r"artifact: target/lambda/([a-z-]+)\.zip", r"artifact: target/lambda/\1/bootstrap.zip", 12),
        checks.check_functions,
        r"all deploy the S3 object serverless/cakeshop/dev/[^ ]+/bootstrap\.zip",
    ),
    Mutation(
        "relay-schedule-removed",
        "relay-events loses its schedule, so nothing ever publishes what a crash left unpublished",
        replace(
            "    events:\n"
            "      - schedule: rate(1 minute)\n",
            "",
        ),
        checks.check_triggers,
        r"relay-events: schedules \[\], expected \['rate\(1 minute\)'\]",
    ),
    Mutation(
        "outbox-index-removed",
        "the orders table loses the pending-events index the relay queries",
        replace(
            "        GlobalSecondaryIndexes:\n"
            "          - IndexName: pending-events\n"
            "            KeySchema:\n"
            "              - AttributeName: outboxBucket\n"
            "                KeyType: HASH\n"
            "              - AttributeName: outboxSince\n"
            "                KeyType: RANGE\n"
            "            Projection:\n"
            "              ProjectionType: INCLUDE\n"
            "              NonKeyAttributes: [pendingEvents]\n",
            "",
        ),
        checks.check_tables,
        r"OrdersTable: no global secondary index pending-events",
    ),
    Mutation(
        "status-index-removed",
        "the orders table loses the orders-by-status index the baker's listing queries",
        replace(
            "          - IndexName: orders-by-status\n"
            "            KeySchema:\n"
            "              - AttributeName: status\n"
            "                KeyType: HASH\n"
            "              - AttributeName: statusSortKey\n"
            "                KeyType: RANGE\n"
            "            Projection:\n"
            "              ProjectionType: ALL\n",
            "",
        ),
        checks.check_tables,
        r"OrdersTable: no global secondary index orders-by-status",
    ),
    Mutation(
        "errors-alarm-removed",
        "place-order's errors go unalarmed",
        without_resource("PlaceOrderErrorsAlarm"),
        checks.check_alarms,
        r"place-order: no alarm on its Errors",
    ),
    Mutation(
        "dead-letter-alarm-removed",
        "messages in the delivery dead-letter queue go unalarmed",
        without_resource("DeliveryDeadLetterQueueAlarm"),
        checks.check_alarms,
        r"notify-delivery: no alarm on messages in DeliveryDeadLetterQueue",
    ),
    Mutation(
        "iterator-age-alarm-removed",
        "notify-baker may fall behind the stream unnoticed",
        without_resource("NotifyBakerIteratorAgeAlarm"),
        checks.check_alarms,
        r"notify-baker: no alarm on its IteratorAge",
    ),
    Mutation(
        "stage-throttling-removed",
        "the HTTP API's stage has no shared ceiling",
        replace("          ThrottlingBurstLimit: 100\n          ThrottlingRateLimit: 50\n", "          DetailedMetricsEnabled: false\n"),
        checks.check_stage_throttling,
        r"HttpApiStage: ThrottlingRateLimit None",
    ),
    Mutation(
        "limit-counters-time-to-live-removed",
        "the client limits' counters are never deleted",
        replace("        TimeToLiveSpecification:\n          AttributeName: expiresAt\n          Enabled: true\n", ""),
        checks.check_tables,
        r"OrdersTable: time to live off",
    ),
    Mutation(
        "ses-bounce-alarm-removed",
        "the account's bounces could reach SES's review unnoticed",
        without_resource("SesBounceRateAlarm"),
        checks.check_alarms,
        r"no alarm on the account's SES Reputation.BounceRate",
    ),
    Mutation(
        "ses-complaint-alarm-too-late",
        "the complaint alarm fires only after SES would review the account",
        replace("        Threshold: 0.0005\n", "        Threshold: 0.002\n"),
        checks.check_alarms,
        r"the SES Reputation.ComplaintRate alarm fires at 0.002",
    ),
    Mutation(
        "api-5xx-alarm-removed",
        "the HTTP API's 5xx answers go unalarmed",
        without_resource("HttpApi5xxAlarm"),
        checks.check_alarms,
        r"no alarm on the 5xx answers of HttpApi",
    ),
    Mutation(
        "alarm-topic-removed",
        "the alarm topic is gone: the alarms tell no one",
        without_resource("AlarmTopic"),
        checks.check_alarms,
        r"no AWS::SNS::Topic AlarmTopic for the alarms",
    ),
    Mutation(
        "tracing-removed",
        "X-Ray traces no function",
        replace("  tracing:\n    lambda: true\n", ""),
        checks.check_observability,
        r"notify-baker: X-Ray tracing is off, expected Active",
    ),
    Mutation(
        "one-function-untraced",
        "notify-delivery alone passes traces through instead of tracing",
        replace(
            "  notify-delivery:\n    handler: bootstrap\n",
            "  notify-delivery:\n    handler: bootstrap\n    tracing: PassThrough\n",
        ),
        checks.check_observability,
        r"notify-delivery: X-Ray tracing is PassThrough, expected Active",
    ),
    Mutation(
        "text-logs",
        "the functions log plain text, which Logs Insights cannot query by field",
        replace("      logFormat: JSON\n", "      logFormat: Text\n"),
        checks.check_observability,
        r"place-order: logs Text, expected JSON",
    ),
    Mutation(
        "journey-query-removed",
        "no saved query for an order's journey",
        without_resource("OrderJourneyQuery"),
        checks.check_observability,
        r"no saved Logs Insights query",
    ),
    Mutation(
        "alarm-missing-from-dashboard",
        "an alarm the dashboard does not show",
        replace('                "${RelayEventsThrottlesAlarm.Arn}",\n', ""),
        checks.check_observability,
        r"RelayEventsThrottlesAlarm: not on the dashboard",
    ),
    Mutation(
        "metric-missing-from-dashboard",
        "the dashboard's timings widget loses its TimeToReady lines",
        # Each line with the comma before it, so that the body stays JSON.
        regex(r',\n +\["Cakeshop", "TimeToReady", [^\n]*\]', "", 3),
        checks.check_observability,
        r"Cakeshop TimeToReady \(Stage=dev\) from fulfill-order: not on the dashboard",
    ),
    Mutation(
        "metrics-without-stage",
        "notify-delivery loses STAGE, so its PartnerFailures cannot carry their Stage",
        replace(
            "      DELIVERY_API_URL: ${param:deliveryApiUrl}\n"
            "      # The Stage dimension of the metrics it writes (namespace Cakeshop).\n"
            "      STAGE: ${sls:stage}\n",
            "      DELIVERY_API_URL: ${param:deliveryApiUrl}\n",
        ),
        checks.check_observability,
        r"notify-delivery: no STAGE in its environment",
    ),
    Mutation(
        "xray-grant-on-more-than-xray",
        'a role that puts a named action beside the X-Ray ones on Resource "*"',
        replace(
            "                  Action: [xray:PutTraceSegments, xray:PutTelemetryRecords]\n",
            "                  Action: [xray:PutTraceSegments, xray:PutTelemetryRecords, dynamodb:GetItem]\n",
        ),
        checks.check_iam,
        r'Resource "\*" for \[.xray:PutTraceSegments., .xray:PutTelemetryRecords., .dynamodb:GetItem.\]',
    ),
    # Templates that lint, and pass the checks above, but do not deploy or deploy wrong.
    Mutation(
        "queue-arn-for-its-url",
        "request-delivery is given the delivery queue's ARN where its URL belongs",
        replace(
            "      DELIVERY_QUEUE_URL:\n        Ref: DeliveryQueue\n",
            "      DELIVERY_QUEUE_URL:\n        Fn::GetAtt: [DeliveryQueue, Arn]\n",
        ),
        rehearsal.check_deploys,
        r"request-delivery: DELIVERY_QUEUE_URL 'arn:aws:sqs:[^']+' is not what DELIVERY_QUEUE_URL names",
    ),
    Mutation(
        "alarm-on-a-queue-url",
        "the delivery dead-letter alarm names its queue by URL, so it watches a queue that is not there",
        replace(
            "Dimensions: [{Name: QueueName, Value: {'Fn::GetAtt': [DeliveryDeadLetterQueue, QueueName]}}]",
            "Dimensions: [{Name: QueueName, Value: {Ref: DeliveryDeadLetterQueue}}]",
        ),
        rehearsal.check_deploys,
        r"cakeshop-dev-DeliveryDeadLetterQueue: watches QueueName https://\S+/cakeshop-dev-delivery-dlq, which is not deployed",
    ),
]
