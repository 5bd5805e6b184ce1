"""CloudFormation model of AWS::S3::BucketPolicy for moto's CloudFormation engine, which has none:
osls's deployment bucket has one, denying every request not made over TLS.

The policy is kept here (`BUCKET_POLICIES`), not handed to moto's S3: moto cannot evaluate it (it
takes a statement whose condition does not hold as denying, so this Deny-unless-TLS would refuse
the deploy's own uploads too). Creating one checks that its bucket exists."""

from __future__ import annotations

from moto.core.common_models import CloudFormationModel
from moto.s3.models import s3_backends
from moto.utilities.utils import get_partition

# {bucket name: its policy document}
BUCKET_POLICIES: dict[str, dict] = {}


class BucketPolicyModel(CloudFormationModel):
    """AWS::S3::BucketPolicy; `Ref` is the bucket's name."""

    def __init__(self, bucket: str):
        self.bucket = bucket

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::S3::BucketPolicy"

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @property
    def physical_resource_id(self) -> str:
        return self.bucket

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return False

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        p = cloudformation_json["Properties"]
        s3_backends[account_id][get_partition(region_name)].get_bucket(p["Bucket"])  # raises if absent
        BUCKET_POLICIES[p["Bucket"]] = p["PolicyDocument"]
        return cls(p["Bucket"])

    @classmethod
    def update_from_cloudformation_json(
        cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name
    ):
        BUCKET_POLICIES.pop(original_resource.bucket, None)
        return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):
        BUCKET_POLICIES.pop(resource_name, None)
