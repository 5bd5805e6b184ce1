"""CloudFormation model of AWS::CloudWatch::Alarm for moto's CloudFormation engine (moto has the
alarms API but no model), made through moto's own backend so `describe_alarms` reads it back.
`Ref` is the alarm's name and `Arn` its ARN, as in CloudFormation."""

from __future__ import annotations

from typing import Any

from moto.cloudwatch.models import Dimension, Metric, MetricDataQuery, MetricStat, cloudwatch_backends
from moto.core.common_models import CloudFormationModel


def _metric_data_queries(metrics: list[dict[str, Any]] | None) -> list[MetricDataQuery] | None:
    """The alarm's metric math, as moto's own PutMetricAlarm handler builds it."""
    if not metrics:
        return None
    queries = []
    for query in metrics:
        stat = query.get("MetricStat")
        metric_stat = None
        if stat:
            metric = stat["Metric"]
            metric_stat = MetricStat(
                metric=Metric(
                    metric_name=metric["MetricName"],
                    namespace=metric["Namespace"],
                    dimensions=[Dimension(d["Name"], d["Value"]) for d in metric.get("Dimensions", [])],
                ),
                period=stat["Period"],
                stat=stat["Stat"],
                unit=stat.get("Unit"),
            )
        queries.append(
            MetricDataQuery(
                query_id=query["Id"],
                label=query.get("Label"),
                period=query.get("Period"),
                return_data=query.get("ReturnData"),
                expression=query.get("Expression"),
                metric_stat=metric_stat,
            )
        )
    return queries


class AlarmModel(CloudFormationModel):
    """AWS::CloudWatch::Alarm."""

    def __init__(self, alarm):
        self.alarm = alarm

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CloudWatch::Alarm"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "AlarmName"

    @property
    def physical_resource_id(self) -> str:
        return self.alarm.name

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Arn"

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        if attribute_name == "Arn":
            return self.alarm.alarm_arn
        raise NotImplementedError(f"AWS::CloudWatch::Alarm has no attribute {attribute_name}")

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        p = cloudformation_json.get("Properties", {})
        alarm = cloudwatch_backends[account_id][region_name].put_metric_alarm(
            name=resource_name,
            namespace=p.get("Namespace"),
            metric_name=p.get("MetricName"),
            metric_data_queries=_metric_data_queries(p.get("Metrics")),
            comparison_operator=p["ComparisonOperator"],
            evaluation_periods=int(p["EvaluationPeriods"]),
            datapoints_to_alarm=p.get("DatapointsToAlarm"),
            period=p.get("Period"),
            threshold=float(p["Threshold"]),
            statistic=p.get("Statistic"),
            extended_statistic=p.get("ExtendedStatistic"),
            description=p.get("AlarmDescription"),
            dimensions=p.get("Dimensions", []),
            alarm_actions=p.get("AlarmActions", []),
            ok_actions=p.get("OKActions", []),
            insufficient_data_actions=p.get("InsufficientDataActions", []),
            unit=p.get("Unit"),
            actions_enabled=p.get("ActionsEnabled", True),
            treat_missing_data=p.get("TreatMissingData"),
            evaluate_low_sample_count_percentile=p.get("EvaluateLowSampleCountPercentile"),
            threshold_metric_id=p.get("ThresholdMetricId"),
        )
        return cls(alarm)

    @classmethod
    def update_from_cloudformation_json(
        cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name
    ):
        # PutMetricAlarm on the same name replaces the alarm, as an update does.
        if new_resource_name != original_resource.alarm.name:
            cls.delete_from_cloudformation_json(original_resource.alarm.name, {}, account_id, region_name)
        return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):
        cloudwatch_backends[account_id][region_name].delete_alarms([resource_name])
