"""Shared test set-up: a test stage of settings, moto's in-process AWS, and the Chalice test client.

The environment is set before anything of ours is imported, because the models read the table
prefix once, when first imported.
"""
from __future__ import annotations

import os

TEST_ENV = {
    "PORTAL_STAGE": "test",
    "PORTAL_TABLE_PREFIX": "eservices-test-",
    "PORTAL_ATTACHMENTS_BUCKET": "eservices-test-attachments",
    "AWS_DEFAULT_REGION": "eu-north-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
}
os.environ.update(TEST_ENV)
os.environ.pop("AWS_ENDPOINT_URL", None)  # in-process moto, never a server left over from `make run`
os.environ.pop("AWS_PROFILE", None)

import pytest  # noqa: E402
from moto import mock_aws  # noqa: E402


@pytest.fixture
def aws():
    """An empty, private AWS account with the portal's tables, per test."""
    from chalicelib.announcements import clear_cache
    from chalicelib.models import create_tables
    from chalicelib.models.base import connection

    connection.cache_clear()  # a client made outside this mock would reach for real AWS

    with mock_aws():
        import boto3

        create_tables()
        boto3.client("s3", region_name=TEST_ENV["AWS_DEFAULT_REGION"]).create_bucket(
            Bucket=TEST_ENV["PORTAL_ATTACHMENTS_BUCKET"],
            CreateBucketConfiguration={"LocationConstraint": TEST_ENV["AWS_DEFAULT_REGION"]},
        )
        clear_cache()
        yield
        clear_cache()


@pytest.fixture
def client(aws):
    from chalice.test import Client

    from app import app

    with Client(app) as test_client:
        yield test_client.http


class Clock:
    """Time travel for tests: ``clock.advance(minutes=...)`` moves the portal's clock forward."""

    def __init__(self, monkeypatch):
        from datetime import timedelta

        from chalicelib import clock

        self._real = clock.utcnow
        self.offset = timedelta(0)
        monkeypatch.setattr(clock, "utcnow", lambda: self._real() + self.offset)

    def advance(self, **delta):
        from datetime import timedelta

        self.offset += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


@pytest.fixture
def idp(monkeypatch, aws):
    """A scriptable OpenID Connect provider answering the portal's HTTP calls in process."""
    from chalicelib.config import settings
    from chalicelib.identity import http, oidc
    from tests.fake_idp import FakeProvider

    provider = FakeProvider()
    monkeypatch.setattr(settings(), "oidc_issuer", provider.issuer)
    monkeypatch.setattr(http, "transport", provider.transport)
    oidc.clear_cache()
    yield provider
    oidc.clear_cache()
