"""CloudFormation models for resource types the stack uses and moto's CloudFormation engine lacks
(the HTTP API, alarms, the deployment bucket's policy, a saved Logs Insights query), and the
properties moto's Lambda function model drops.

Importing this package registers them (moto finds models as CloudFormationModel subclasses; it
files each under the service its module is named after, hence one module per service)."""

from . import apigatewayv2, awslambda, cloudwatch, logs, s3  # noqa: F401
