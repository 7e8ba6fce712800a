"""Lazy, cached boto3 clients: created on first use, in the stage's region and endpoint."""
from __future__ import annotations

from functools import lru_cache

from chalicelib.config import settings


@lru_cache(maxsize=None)
def client(service: str):
    import boto3

    config = settings()
    return boto3.client(service, region_name=config.aws_region, endpoint_url=config.aws_endpoint_url)
