"""CloudFormation models of API Gateway v2 (the HTTP API) for moto's CloudFormation engine.

moto has an API Gateway v2 backend (its REST API works) but no CloudFormation models for it, so
a stack with an HTTP API does not deploy there. Each model below creates the resource through
moto's own backend, so the deployed API is the one `apigatewayv2` calls then read back, and
answers `Ref` as CloudFormation does (the API's id, a stage's name, an integration's or a route's
id). Importing this module registers them: moto finds models as CloudFormationModel subclasses.
"""

from __future__ import annotations

from typing import Any

from moto.apigatewayv2.models import apigatewayv2_backends
from moto.cloudformation.exceptions import ValidationError
from moto.core.common_models import CloudFormationModel


def _backend(account_id: str, region_name: str):
    return apigatewayv2_backends[account_id][region_name]


def _properties(cloudformation_json: dict[str, Any]) -> dict[str, Any]:
    return cloudformation_json.get("Properties", {})


class HttpApiModel(CloudFormationModel):
    """AWS::ApiGatewayV2::Api."""

    def __init__(self, api):
        self.api = api

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApiGatewayV2::Api"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "Name"

    @property
    def physical_resource_id(self) -> str:
        return self.api.api_id

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in ("ApiId", "ApiEndpoint")

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        if attribute_name == "ApiId":
            return self.api.api_id
        if attribute_name == "ApiEndpoint":
            return self.api.api_endpoint
        raise NotImplementedError(f"AWS::ApiGatewayV2::Api has no attribute {attribute_name}")

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        p = _properties(cloudformation_json)
        if p.get("ProtocolType") not in ("HTTP", "WEBSOCKET"):
            raise ValidationError(message=f"AWS::ApiGatewayV2::Api {resource_name}: ProtocolType {p.get('ProtocolType')!r}")
        api = _backend(account_id, region_name).create_api(
            api_key_selection_expression=p.get("ApiKeySelectionExpression"),
            cors_configuration=p.get("CorsConfiguration"),
            description=p.get("Description"),
            disable_schema_validation=p.get("DisableSchemaValidation"),
            disable_execute_api_endpoint=p.get("DisableExecuteApiEndpoint"),
            name=p.get("Name", resource_name),
            protocol_type=p["ProtocolType"],
            route_selection_expression=p.get("RouteSelectionExpression"),
            tags=p.get("Tags") or {},
            version=p.get("Version"),
        )
        return cls(api)

    @classmethod
    def update_from_cloudformation_json(
        cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name
    ):
        p = _properties(cloudformation_json)
        original_resource.api.name = p.get("Name", original_resource.api.name)
        original_resource.api.description = p.get("Description")
        return original_resource

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):
        _backend(account_id, region_name).delete_api(resource_name)


class _UnderApi:
    """What a resource of one API (a stage, an integration, a route) has in common. Not a model
    itself: moto registers only the direct subclasses of CloudFormationModel."""

    def __init__(self, api_id: str, resource_id: str):
        self.api_id = api_id
        self.resource_id = resource_id

    @property
    def physical_resource_id(self) -> str:
        return self.resource_id

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return False

    @classmethod
    def update_from_cloudformation_json(
        cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name
    ):
        # What a redeploy changes here is replaced whole, as CloudFormation does for ApiId.
        backend = _backend(account_id, region_name)
        cls._delete(backend, original_resource)
        return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)


class HttpApiStageModel(_UnderApi, CloudFormationModel):
    """AWS::ApiGatewayV2::Stage."""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApiGatewayV2::Stage"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        p = _properties(cloudformation_json)
        config = {
            "stageName": p["StageName"],
            "autoDeploy": p.get("AutoDeploy"),
            "description": p.get("Description"),
            "stageVariables": p.get("StageVariables") or {},
        }
        if "DefaultRouteSettings" in p:
            config["defaultRouteSettings"] = {
                key[0].lower() + key[1:]: value for key, value in p["DefaultRouteSettings"].items()
            }
        stage = _backend(account_id, region_name).create_stage(p["ApiId"], config)
        return cls(p["ApiId"], stage.name)

    @staticmethod
    def _delete(backend, resource) -> None:
        backend.delete_stage(resource.api_id, resource.resource_id)


class HttpApiIntegrationModel(_UnderApi, CloudFormationModel):
    """AWS::ApiGatewayV2::Integration."""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApiGatewayV2::Integration"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        p = _properties(cloudformation_json)
        integration = _backend(account_id, region_name).create_integration(
            api_id=p["ApiId"],
            connection_id=p.get("ConnectionId"),
            connection_type=p.get("ConnectionType"),
            content_handling_strategy=p.get("ContentHandlingStrategy"),
            credentials_arn=p.get("CredentialsArn"),
            description=p.get("Description"),
            integration_method=p.get("IntegrationMethod"),
            integration_subtype=p.get("IntegrationSubtype"),
            integration_type=p["IntegrationType"],
            integration_uri=p.get("IntegrationUri"),
            passthrough_behavior=p.get("PassthroughBehavior"),
            payload_format_version=p.get("PayloadFormatVersion"),
            request_parameters=p.get("RequestParameters"),
            request_templates=p.get("RequestTemplates"),
            response_parameters=p.get("ResponseParameters"),
            template_selection_expression=p.get("TemplateSelectionExpression"),
            timeout_in_millis=p.get("TimeoutInMillis"),
            tls_config=p.get("TlsConfig"),
        )
        return cls(p["ApiId"], integration.id)

    @staticmethod
    def _delete(backend, resource) -> None:
        backend.delete_integration(resource.api_id, resource.resource_id)


class HttpApiRouteModel(_UnderApi, CloudFormationModel):
    """AWS::ApiGatewayV2::Route."""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApiGatewayV2::Route"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        p = _properties(cloudformation_json)
        route = _backend(account_id, region_name).create_route(
            api_id=p["ApiId"],
            api_key_required=p.get("ApiKeyRequired", False),
            authorization_scopes=p.get("AuthorizationScopes") or [],
            authorization_type=p.get("AuthorizationType"),
            authorizer_id=p.get("AuthorizerId"),
            model_selection_expression=p.get("ModelSelectionExpression"),
            operation_name=p.get("OperationName"),
            request_models=p.get("RequestModels"),
            request_parameters=p.get("RequestParameters"),
            route_key=p["RouteKey"],
            route_response_selection_expression=p.get("RouteResponseSelectionExpression"),
            target=p.get("Target"),
        )
        return cls(p["ApiId"], route.route_id)

    @staticmethod
    def _delete(backend, resource) -> None:
        backend.delete_route(resource.api_id, resource.resource_id)
