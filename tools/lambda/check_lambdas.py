#!/usr/bin/env python3
"""Runs every Lambda's real `bootstrap` against a local Lambda Runtime API and moto: the check
tools/lambda-check runs. The check itself is the lambda_check package beside this file (its
__init__ maps it); --help says what it does and takes."""

import sys

from lambda_check.main import main

if __name__ == "__main__":
    sys.exit(main())
