"""A minimal Lambda Runtime API client for the Python baseline (what the managed Python runtime's
own client does, reduced to the protocol): import the handler module (the init), then loop
GET /runtime/invocation/next, call the handler, POST .../response (or .../error).

Standard library only; run by tools/lambda/check_lambdas.py with AWS_LAMBDA_RUNTIME_API set and
this directory as the working directory. Not part of the deployed zip: on AWS the Python runtime
brings its own client.
"""

import json
import os
import sys
import traceback
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import handler  # noqa: E402  (the init: boto3 and the client)

BASE = f"http://{os.environ['AWS_LAMBDA_RUNTIME_API']}/2018-06-01/runtime/invocation"


class Context:
    def __init__(self, headers):
        self.aws_request_id = headers.get("Lambda-Runtime-Aws-Request-Id")
        self.invoked_function_arn = headers.get("Lambda-Runtime-Invoked-Function-Arn")
        self.deadline_ms = int(headers.get("Lambda-Runtime-Deadline-Ms") or 0)
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")


def post(url, body):
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request).read()


while True:
    with urllib.request.urlopen(f"{BASE}/next") as answer:
        headers = answer.headers
        event = json.loads(answer.read())
    request_id = headers.get("Lambda-Runtime-Aws-Request-Id")
    try:
        result = handler.handler(event, Context(headers))
        post(f"{BASE}/{request_id}/response", json.dumps(result).encode())
    except Exception as error:  # reported as Lambda's Python runtime reports it
        report = {"errorMessage": str(error), "errorType": type(error).__name__, "stackTrace": traceback.format_exc().splitlines()}
        post(f"{BASE}/{request_id}/error", json.dumps(report).encode())
