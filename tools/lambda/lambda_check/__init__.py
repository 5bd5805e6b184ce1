"""tools/lambda-check's check, run by tools/lambda/check_lambdas.py. A map of the package:

  template      the packaged CloudFormation: which functions there are, what each is given, and
                its intrinsic references (Ref, Fn::GetAtt, Fn::Join, Fn::Sub) resolved
  shop          the resources the template names, made in moto, each function's environment
                resolved against them, and the readers the checks use
  moto_server   a moto_server of the check's own on loopback
  partners      the delivery company's and customer service's APIs, stood in for
  seeding       the sample order's journey, stored at a step through the Rust DynamoDB adapter
                (`cakeshop store-order`)
  runtime_api   one execution environment's Lambda Runtime API
  running       starting a bootstrap as Lambda does, timing its init and its invocations
  scenarios     per function: the order it expects to find and what it must have done
  baseline      the Python baseline, measured beside the functions
  artifacts     the deployed zips and the native binaries, checked and unpacked
  report        the tables it prints and the targets it marks
  main          the order of it all, and the JSON report tools/lambda/cost.py reads
  expect, loopback   CheckFailed, and the bits the loopback HTTP servers share

Standard library and boto3 (from the venv tools/lambda-check makes) only.
"""
