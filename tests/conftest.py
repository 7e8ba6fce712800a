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

# chalice.test's clients run each request and invocation with the Chalice stage's variables by swapping
# `os.environ` for a patched copy and back, without a lock: from threads (the stand-in malware scanner,
# the race tests) the swaps interleave and can leave the dev stage's variables behind for every later
# test. The tests' environment is TEST_ENV above, so the clients keep it as it is.
import contextlib  # noqa: E402

from chalice import test as _chalice_test  # noqa: E402


@contextlib.contextmanager
def _keep_the_test_environment(self, environment_variables):
    yield


_chalice_test.BaseClient._patched_env_vars = _keep_the_test_environment
os.environ.pop("AWS_ENDPOINT_URL", None)  # in-process moto, never a server left over from `make run`
os.environ.pop("AWS_PROFILE", None)

import pytest  # noqa: E402
from moto import mock_aws  # noqa: E402


@pytest.fixture
def aws():
    """An empty, private AWS account with the portal's tables, per test. Each DynamoDB request is
    atomic, as in DynamoDB, also when tests race threads (tests/dynamodb_atomicity.py), and an item
    over 400 KB is refused, as DynamoDB refuses it (tests/dynamodb_item_size.py)."""
    from chalicelib.announcements import clear_cache
    from chalicelib.models import create_tables
    from chalicelib.models.base import connection
    from tests.dynamodb_atomicity import atomic_requests
    from tests.dynamodb_item_size import refuse_oversized_items

    connection.cache_clear()  # a client made outside this mock would reach for real AWS

    with mock_aws(), atomic_requests(), refuse_oversized_items():
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


FAKE_PROVIDER_METHODS = '{"bank": "bank", "mobile": "mobile", "card": "card", "katso": "organisation"}'


@pytest.fixture
def idp(monkeypatch, aws, client):
    """A scriptable OpenID Connect provider answering the portal's HTTP calls in process, with the
    e-Authorizations stand-in in process too (its data: the file, and ``provider.delegates``)."""
    from chalicelib.config import settings
    from chalicelib.identity import http, oidc
    from tests.acting import in_process_authorizations, stand_in_data
    from tests.fake_idp import FakeProvider

    provider = FakeProvider()
    in_process_authorizations(monkeypatch, client)
    stand_in_data(monkeypatch, provider.delegates)
    monkeypatch.setattr(settings(), "oidc_issuer", provider.issuer)
    # The scripted provider asserts the code as a claim and names the tool (tests/fake_idp.py): the
    # helsinki mapping, configured as a deployment would be for such a provider (docs/identity.md).
    monkeypatch.setattr(settings(), "identity_claim_personal_identity_code", "national_id")
    monkeypatch.setattr(settings(), "identity_methods", FAKE_PROVIDER_METHODS)
    monkeypatch.setattr(http, "transport", provider.transport)
    oidc.clear_cache()
    yield provider
    oidc.clear_cache()


# The portal served exactly as `make run` serves it (moto server + chalice local), for the browser
# suite and the API's schemathesis run.
import signal  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(port: int, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the portal exited with {process.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError("the portal did not start in time")


from contextlib import contextmanager  # noqa: E402


@contextmanager
def served_portal(name: str, **settings: str):
    """The portal on localhost, on its own moto server, seeded like `make run`; ``settings`` are extra
    PORTAL_* variables (e.g. a short session timeout). Yields the base URL and the moto endpoint."""
    port, moto_port = _free_port(), _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "AWS_"))}
    (ROOT / "test-results").mkdir(exist_ok=True)
    env["PORTAL_LOCAL_KEYS_FILE"] = str(ROOT / "test-results" / f"{name}-division-keys.json")
    env.update(settings)
    log = open(ROOT / "test-results" / f"{name}.log", "w")
    process = subprocess.Popen(
        [sys.executable, "scripts/local_stack.py", "serve", "--port", str(port), "--moto-port", str(moto_port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        _wait_for(port, process)
        yield f"http://localhost:{port}", f"http://127.0.0.1:{moto_port}"
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()


@pytest.fixture(scope="session")
def served():
    with served_portal("portal") as (base_url, moto_endpoint):
        yield base_url, moto_endpoint


@pytest.fixture(scope="session")
def portal(served):
    """Base URL of the portal served as `make run` serves it (the host name it knows itself by)."""
    return served[0]


@pytest.fixture
def openid_provider(monkeypatch, aws, client):
    """A factory: ``openid_provider(**options)`` starts an independent OpenID provider (npm
    ``oidc-provider``, tests/oidc_provider/) configured for this test, and points the portal at it
    (issuer, client id and secret, client authentication method; real HTTP). Options:
    tests/oidc_provider/harness.py ``start``. Every provider started is stopped after the test."""
    from chalicelib.config import settings
    from chalicelib.identity import http, oidc
    from tests.acting import in_process_authorizations
    from tests.oidc_provider import harness

    in_process_authorizations(monkeypatch, client)  # a corporate customer's company comes from there
    started = []
    where = harness.workdir()

    def make(**options):
        provider = harness.start(options, where)
        started.append(provider)
        config = settings()
        monkeypatch.setattr(config, "oidc_issuer", provider.issuer)
        monkeypatch.setattr(config, "oidc_client_id", harness.CLIENT_ID)
        if "secret" in options or options.get("auth_method", "client_secret_basic") != "private_key_jwt":
            monkeypatch.setattr(config, "oidc_client_secret", options.get("secret", "harness-secret"))
        for name in ("oidc_client_auth_method", "oidc_id_token_algorithms", "oidc_private_key"):
            if name in options.get("settings", {}) and hasattr(config, name):
                monkeypatch.setattr(config, name, options["settings"][name])
        if hasattr(config, "oidc_client_auth_method"):
            monkeypatch.setattr(config, "oidc_client_auth_method", options.get("auth_method", "client_secret_basic"))
        monkeypatch.setattr(http, "transport", http.urllib_transport)
        # Its accounts assert tests/fake_idp.py's claims: the mapping as the idp fixture sets it
        # (tests that try a preset set theirs after starting the provider).
        monkeypatch.setattr(config, "identity_claim_personal_identity_code", "national_id")
        monkeypatch.setattr(config, "identity_methods", FAKE_PROVIDER_METHODS)
        oidc.clear_cache()
        return provider

    yield make
    oidc.clear_cache()
    for provider in started:
        provider.stop()
