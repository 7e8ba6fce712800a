"""Settings come from PORTAL_* variables (and AWS_DEFAULT_REGION / AWS_ENDPOINT_URL), validated by pydantic."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from chalicelib.config import Settings


def test_variables_are_read_and_typed():
    settings = Settings.from_environment({
        "PORTAL_STAGE": "dev", "PORTAL_TABLE_PREFIX": "eservices-dev-", "PORTAL_ANNOUNCEMENT_CACHE_SECONDS": "5",
        "AWS_DEFAULT_REGION": "eu-west-1", "AWS_ENDPOINT_URL": "http://127.0.0.1:5055", "UNRELATED": "x",
    })
    assert (settings.stage, settings.table_prefix, settings.announcement_cache_seconds) == ("dev", "eservices-dev-", 5)
    assert (settings.aws_region, settings.aws_endpoint_url) == ("eu-west-1", "http://127.0.0.1:5055")
    assert settings.dev_idp_enabled and settings.accept_test_identity_codes


def test_defaults_are_the_local_stage():
    settings = Settings.from_environment({})
    assert settings.stage == "local" and settings.aws_endpoint_url is None and settings.aws_region == "eu-north-1"


@pytest.mark.parametrize("name, value", [("PORTAL_STAGE", "staging"), ("PORTAL_SESSION_IDLE_SECONDS", "soon")])
def test_a_wrong_value_stops_the_start(name, value):
    with pytest.raises(ValidationError):
        Settings.from_environment({name: value})


def test_prod_has_no_development_provider():
    settings = Settings.from_environment({"PORTAL_STAGE": "prod"})
    assert not settings.dev_idp_enabled and not settings.accept_test_identity_codes


def test_the_table_names_are_read_once_when_the_models_are_first_imported(monkeypatch):
    """As config.py and models/base.py say: a fresh read of the settings changes everything but the
    table names, which the model classes took from PORTAL_TABLE_PREFIX when they were imported (the
    test stage's prefix, set by tests/conftest.py before anything of ours was imported)."""
    from chalicelib.config import settings
    from chalicelib.models import all_models

    names = {model.__name__: model.Meta.table_name for model in all_models()}
    assert all(name.startswith("eservices-test-") for name in names.values()), names
    monkeypatch.setenv("PORTAL_TABLE_PREFIX", "eservices-elsewhere-")
    settings.cache_clear()
    try:
        assert settings().table_prefix == "eservices-elsewhere-"
        assert {model.__name__: model.Meta.table_name for model in all_models()} == names
    finally:
        monkeypatch.undo()
        settings.cache_clear()
    assert settings().table_prefix == "eservices-test-"
