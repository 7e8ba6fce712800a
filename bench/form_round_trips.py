"""How many DynamoDB round trips serving and saving form pages cost (goal: at most two besides the
session read). Counts every call with a botocore event hook, against moto, with warm caches.

    .venv/bin/python bench/form_round_trips.py
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import tests.conftest as conftest  # noqa: E402  (sets the test stage's environment first)


def main() -> int:
    from unittest import mock

    import boto3
    from chalice.test import Client
    from moto import mock_aws

    from app import app
    from chalicelib.config import settings
    from chalicelib.identity import http, oidc
    from chalicelib.models import create_tables
    from tests.dynamo_calls import count_dynamodb_calls
    from tests.fake_idp import FakeProvider, sign_in
    from tests.integration.test_forms import ADDITIONAL, CHANGE, DOG, OWNER, Filler

    with mock_aws():
        create_tables()
        boto3.client("s3", region_name=conftest.TEST_ENV["AWS_DEFAULT_REGION"]).create_bucket(
            Bucket=conftest.TEST_ENV["PORTAL_ATTACHMENTS_BUCKET"],
            CreateBucketConfiguration={"LocationConstraint": conftest.TEST_ENV["AWS_DEFAULT_REGION"]})
        provider = FakeProvider()
        with mock.patch.object(settings(), "oidc_issuer", provider.issuer), mock.patch.object(http, "transport", provider.transport), Client(app) as test_client:
            oidc.clear_cache()
            client = test_client.http
            filler = Filler(client, sign_in(client, provider))
            filler.get("/")
            steps = [
                ("serve a new form's first page", lambda: filler.start()),
                ("save the first page (creates the draft)", lambda: filler.page(1, OWNER)),
                ("serve page 2 of the draft", lambda: filler.get(f"/drafts/{filler.draft_id}/pages/2")),
                ("save page 2", lambda: filler.page(2, DOG)),
                ("save page 3", lambda: filler.page(3, CHANGE)),
                ("save page 4", lambda: filler.page(4, ADDITIONAL)),
                ("serve the summary", lambda: filler.get(f"/drafts/{filler.draft_id}/pages/5")),
                ("send (counter + transaction)", lambda: filler.send()),
            ]
            print(f"{'step':45} {'besides session':>15} {'all':>5}  operations")
            for name, step in steps:
                with count_dynamodb_calls() as calls:
                    step()
                print(f"{name:45} {len(calls.excluding('-sessions')):>15} {len(calls.calls):>5}  {calls.summary()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
