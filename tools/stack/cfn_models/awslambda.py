"""moto's AWS::Lambda::Function model, made to keep what it drops: moto creates the function from
a fixed list of properties without Architectures or TracingConfig, so every deployed function
would read back as x86_64 and untraced. After moto creates or updates one, these are set on it
from the template, as CloudFormation does. (moto has no LoggingConfig at all.)"""

from __future__ import annotations

from moto.awslambda.models import LambdaFunction

_create = LambdaFunction.create_from_cloudformation_json.__func__
_update = LambdaFunction.update_from_cloudformation_json.__func__


def _carry(function: LambdaFunction, properties: dict) -> LambdaFunction:
    function.architectures = properties.get("Architectures", ["x86_64"])
    function.tracing_config = properties.get("TracingConfig") or {"Mode": "PassThrough"}
    return function


def _create_keeping(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    function = _create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
    return _carry(function, cloudformation_json["Properties"])


def _update_keeping(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):
    function = _update(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name)
    return _carry(function, cloudformation_json["Properties"])


LambdaFunction.create_from_cloudformation_json = classmethod(_create_keeping)
LambdaFunction.update_from_cloudformation_json = classmethod(_update_keeping)
