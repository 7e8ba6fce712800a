"""Lazy, cached boto3 clients: created on first use, in the stage's region and endpoint."""
from __future__ import annotations

from functools import lru_cache

from chalicelib.config import settings

# Every AWS service the portal calls (PynamoDB calls DynamoDB). The deployment package carries
# botocore's data for these only (infra/package.py), so a client for another one would fail on AWS:
# add it here first.
AWS_SERVICES = ("dynamodb", "s3", "ses", "sns", "sqs")


@lru_cache(maxsize=None)
def client(service: str):
    if service not in AWS_SERVICES:
        raise ValueError(f"{service} is not in AWS_SERVICES (chalicelib/clients)")
    import boto3

    config = settings()
    return boto3.client(service, region_name=config.aws_region, endpoint_url=config.aws_endpoint_url)
