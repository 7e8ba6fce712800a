"""What every PynamoDB model shares: the stage's table name prefix, region and endpoint."""
from __future__ import annotations

from functools import lru_cache

from chalicelib.config import settings


def table_meta(name: str) -> type:
    """A PynamoDB ``Meta`` for the table ``name`` of the current stage (e.g. ``eservices-dev-feedback``).

    The endpoint is given only where moto stands in for AWS; on AWS botocore finds the regional one.
    """
    config = settings()
    return type(
        "Meta",
        (),
        {
            "table_name": f"{config.table_prefix}{name}",
            "region": config.aws_region,
            "host": config.aws_endpoint_url,
            "billing_mode": "PAY_PER_REQUEST",
        },
    )


@lru_cache(maxsize=1)
def connection():
    """The PynamoDB connection for transactions, in the stage's region and endpoint; created on first
    use and kept (botocore clients are thread-safe)."""
    from pynamodb.connection import Connection

    config = settings()
    return Connection(region=config.aws_region, host=config.aws_endpoint_url)
