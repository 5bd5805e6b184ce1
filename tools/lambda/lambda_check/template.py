"""The packaged CloudFormation template (what `osls package` makes of serverless.yml): which
functions there are, what each is given, and the values of its intrinsic references once the
resources they name exist.

Only what this template uses is understood (Ref, Fn::GetAtt, Fn::Join, Fn::Sub and the pseudo
parameters); anything else fails loudly instead of being guessed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from .expect import CheckFailed

# What a function gets when its resource says nothing (CloudFormation's defaults).
DEFAULT_MEMORY_MB = 128


@dataclass(frozen=True)
class Function:
    name: str  # its artifact's name: lambdas/<name>, target/lambda/<name>/bootstrap.zip
    logical_id: str
    function_name: str  # FunctionName: what AWS_LAMBDA_FUNCTION_NAME says
    memory_mb: int
    environment: dict[str, Any]  # variable: the template's value, references unresolved


def load(path: Path) -> dict:
    return json.loads(path.read_text())


def functions(template: dict) -> dict[str, Function]:
    """Every AWS::Lambda::Function, by artifact name, in the template's order."""
    found = {}
    for logical_id, resource in template["Resources"].items():
        if resource.get("Type") != "AWS::Lambda::Function":
            continue
        properties = resource["Properties"]
        # osls uploads each artifact under its own file name: serverless/<service>/<stage>/<time>/<name>.zip
        key = properties["Code"]["S3Key"]
        if not isinstance(key, str) or not key.endswith(".zip"):
            raise CheckFailed(f"{logical_id}: Code.S3Key {key!r} is not the key of a zip osls uploaded")
        name = PurePosixPath(key).name.removesuffix(".zip")
        found[name] = Function(
            name=name,
            logical_id=logical_id,
            function_name=properties.get("FunctionName", logical_id),
            memory_mb=int(properties.get("MemorySize", DEFAULT_MEMORY_MB)),
            environment=dict((properties.get("Environment") or {}).get("Variables") or {}),
        )
    return found


class Resolver:
    """Evaluates a template value: `pseudo` holds the pseudo parameters (AWS::Region…), and
    `attributes` what stands in for each resource, by logical id: {"Ref": …, "Arn": …, …}."""

    def __init__(self, pseudo: dict[str, str], attributes: dict[str, dict[str, str]]):
        self.pseudo = pseudo
        self.attributes = attributes

    def resolve(self, value: Any, where: str) -> str:
        if isinstance(value, str):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        if isinstance(value, dict) and len(value) == 1:
            (function, argument), = value.items()
            if function == "Ref":
                return self.ref(argument, where)
            if function == "Fn::GetAtt":
                logical_id, attribute = argument.split(".", 1) if isinstance(argument, str) else argument
                return self.attribute(logical_id, attribute, where)
            if function == "Fn::Join":
                separator, parts = argument
                return separator.join(self.resolve(part, where) for part in parts)
            if function == "Fn::Sub":
                text, variables = (argument, {}) if isinstance(argument, str) else argument
                return self.substitute(text, variables, where)
        raise CheckFailed(f"{where}: cannot resolve {json.dumps(value)}")

    def ref(self, name: str, where: str) -> str:
        if name in self.pseudo:
            return self.pseudo[name]
        return self.attribute(name, "Ref", where)

    def attribute(self, logical_id: str, attribute: str, where: str) -> str:
        if logical_id not in self.attributes:
            raise CheckFailed(f"{where}: refers to {logical_id}, which the check does not stand up")
        known = self.attributes[logical_id]
        if attribute not in known:
            raise CheckFailed(f"{where}: {logical_id} has no {attribute} here (known: {sorted(known)})")
        return known[attribute]

    def substitute(self, text: str, variables: dict, where: str) -> str:
        def one(match: re.Match) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"  # ${!Literal} is written as ${Literal}
            if name in variables:
                return self.resolve(variables[name], where)
            if name in self.pseudo or "." not in name:
                return self.ref(name, where)
            logical_id, attribute = name.split(".", 1)
            return self.attribute(logical_id, attribute, where)

        return re.sub(r"\$\{([^}]+)\}", one, text)
