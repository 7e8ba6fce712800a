"""What every PynamoDB model shares: the stage's table name prefix, region and endpoint, and one
connection (one botocore session and DynamoDB client) for all tables.

PynamoDB gives every model class its own Connection, and so its own botocore session and client.
Creating a DynamoDB client in a fresh botocore session costs 20-30 ms even with the package's
trimmed botocore data (a new session registers its event handlers and parses the service's model;
60-120 ms with all of botocore's data); a second client in the same session costs 3-5 ms. A page
that touches the sessions, profiles and submissions tables would pay that three times on a cold
start, so every model here uses the one shared Connection instead (PynamoDB issue #1245 asks for
this; ``_get_connection`` is where the library builds it).
"""
from __future__ import annotations

from functools import lru_cache

from pynamodb.models import Model

from chalicelib.config import settings


def table_meta(name: str) -> type:
    """A PynamoDB ``Meta`` for the table ``name`` of the current stage (e.g. ``eservices-dev-feedback``).

    Called in the class body, so the table name is read from the settings once, when the model's
    module is first imported: ``PORTAL_TABLE_PREFIX`` must be set before that, and a later
    ``settings.cache_clear()`` does not rename the table (a Lambda's stage never changes; tests set
    the prefix before importing anything of ours). Requests go through ``connection()``, which reads
    the region and endpoint on first use and is made anew after ``connection.cache_clear()``.
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
    """The one PynamoDB connection of every model and transaction, in the stage's region and
    endpoint; created on first use and kept (botocore clients are thread-safe)."""
    from pynamodb.connection import Connection

    config = settings()
    # One HTTP connection pool for every table: room for each of the sweep's threads and then some
    # (botocore's default is 10, which PynamoDB used to have per model).
    return Connection(region=config.aws_region, host=config.aws_endpoint_url,
                      max_pool_connections=max(10, 2 * config.notification_workers))


class PortalModel(Model):
    """The base of every table's model: its operations go through the shared ``connection()``."""

    @classmethod
    def _get_connection(cls):
        table = super()._get_connection()
        shared = connection()
        if table.connection is not shared:  # first use, or the shared connection was replaced (tests)
            shared.add_meta_table(table.connection.get_meta_table(table.table_name))
            table.connection = shared
        return table
