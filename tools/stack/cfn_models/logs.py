"""CloudFormation model of AWS::Logs::QueryDefinition for moto's CloudFormation engine.

moto has neither the model nor the query-definitions API, so the definition is kept here, in
`QUERY_DEFINITIONS`, for the rehearsal to read back. Creating one checks what CloudFormation
would: a name and a query, and every log group it names existing in the stack's account."""

from __future__ import annotations

import uuid

from moto.cloudformation.exceptions import ValidationError
from moto.core.common_models import CloudFormationModel
from moto.logs.models import logs_backends

# {query definition id: its properties as deployed}
QUERY_DEFINITIONS: dict[str, dict] = {}


class QueryDefinitionModel(CloudFormationModel):
    """AWS::Logs::QueryDefinition; `Ref` is its id."""

    def __init__(self, definition_id: str):
        self.definition_id = definition_id

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Logs::QueryDefinition"

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @property
    def physical_resource_id(self) -> str:
        return self.definition_id

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "QueryDefinitionId"

    def get_cfn_attribute(self, attribute_name: str):
        if attribute_name == "QueryDefinitionId":
            return self.definition_id
        raise NotImplementedError(f"AWS::Logs::QueryDefinition has no attribute {attribute_name}")

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        p = cloudformation_json["Properties"]
        if not p.get("Name") or not p.get("QueryString", "").strip():
            raise ValidationError(message=f"AWS::Logs::QueryDefinition {resource_name}: needs a Name and a QueryString")
        groups = logs_backends[account_id][region_name].groups
        missing = [name for name in p.get("LogGroupNames", []) if name not in groups]
        if missing:
            raise ValidationError(message=f"AWS::Logs::QueryDefinition {p['Name']}: no log groups {missing}")
        definition_id = str(uuid.uuid4())
        QUERY_DEFINITIONS[definition_id] = dict(p)
        return cls(definition_id)

    @classmethod
    def update_from_cloudformation_json(
        cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name
    ):
        QUERY_DEFINITIONS.pop(original_resource.definition_id, None)
        return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):
        QUERY_DEFINITIONS.pop(resource_name, None)
