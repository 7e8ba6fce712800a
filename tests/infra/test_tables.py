"""Every DynamoDB table of the synthesized stacks is exactly what the PynamoDB models declare: name,
keys and their types, global secondary indexes with their projections, TTL attribute. The expected
values are read here from the model classes' attributes, independently of infra/tables.py."""
from __future__ import annotations

import pytest
from pynamodb.attributes import TTLAttribute
from pynamodb.indexes import GlobalSecondaryIndex

from tests.infra.conftest import STAGES, resources

PREFIX = {"dev": "eservices-dev-", "prod": "eservices-prod-"}
ONLY_IN = {"dev-idp": {"dev"}}  # the development identity provider's table


def _key_schema(attributes: dict) -> list[dict]:
    keys = [{"AttributeName": a.attr_name, "KeyType": "HASH"} for a in attributes.values() if a.is_hash_key]
    keys += [{"AttributeName": a.attr_name, "KeyType": "RANGE"} for a in attributes.values() if a.is_range_key]
    return keys


def expected_tables(stage: str) -> dict[str, dict]:
    from chalicelib.config import settings
    from chalicelib.models import all_models

    expected = {}
    for model in all_models():
        name = model.Meta.table_name.removeprefix(settings().table_prefix)
        if stage not in ONLY_IN.get(name, {stage}):
            continue
        attributes = model.get_attributes()
        definitions = {a.attr_name: a.attr_type for a in attributes.values() if a.is_hash_key or a.is_range_key}
        indexes = {}
        for attr_name in dir(model):
            index = getattr(model, attr_name, None)
            if not isinstance(index, GlobalSecondaryIndex):
                continue
            meta = index.Meta
            definitions.update({a.attr_name: a.attr_type for a in meta.attributes.values()})
            projection = {"ProjectionType": meta.projection.projection_type}
            if meta.projection.non_key_attributes:
                projection["NonKeyAttributes"] = sorted(meta.projection.non_key_attributes)
            indexes[meta.index_name] = {"KeySchema": _key_schema(meta.attributes), "Projection": projection}
        ttl = [a.attr_name for a in attributes.values() if isinstance(a, TTLAttribute)]
        expected[PREFIX[stage] + name] = {
            "model": model.__name__, "KeySchema": _key_schema(attributes), "AttributeDefinitions": definitions,
            "GlobalSecondaryIndexes": indexes, "TTL": ttl[0] if ttl else None,
        }
    return expected


@pytest.mark.parametrize("stage", STAGES)
def test_the_tables_are_the_models(templates, stage):
    deployed = {t["Properties"]["TableName"]: t for t in resources(templates[stage], "AWS::DynamoDB::Table").values()}
    expected = expected_tables(stage)
    assert sorted(deployed) == sorted(expected)
    for name, want in expected.items():
        props = deployed[name]["Properties"]
        assert sorted(props["KeySchema"], key=lambda k: k["KeyType"]) == want["KeySchema"], name
        assert {d["AttributeName"]: d["AttributeType"] for d in props["AttributeDefinitions"]} \
            == want["AttributeDefinitions"], name
        indexes = {
            i["IndexName"]: {
                "KeySchema": sorted(i["KeySchema"], key=lambda k: k["KeyType"]),
                "Projection": {**i["Projection"], **({"NonKeyAttributes": sorted(i["Projection"]["NonKeyAttributes"])}
                                                     if "NonKeyAttributes" in i["Projection"] else {})},
            }
            for i in props.get("GlobalSecondaryIndexes", [])
        }
        assert indexes == want["GlobalSecondaryIndexes"], name
        assert "LocalSecondaryIndexes" not in props
        ttl = props.get("TimeToLiveSpecification")
        if want["TTL"] is None:
            assert ttl is None, name
        else:
            assert ttl == {"AttributeName": want["TTL"], "Enabled": True}, name


@pytest.mark.parametrize("stage", STAGES)
def test_every_table_is_on_demand_with_point_in_time_recovery(templates, stage):
    for table in resources(templates[stage], "AWS::DynamoDB::Table").values():
        props = table["Properties"]
        assert props["BillingMode"] == "PAY_PER_REQUEST"
        assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        if stage == "prod":
            assert props["DeletionProtectionEnabled"] is True
            assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"


def test_the_development_identity_providers_table_is_only_in_dev(templates):
    names = {stage: {t["Properties"]["TableName"] for t in resources(templates[stage], "AWS::DynamoDB::Table").values()}
             for stage in STAGES}
    assert "eservices-dev-dev-idp" in names["dev"]
    assert not any(n.endswith("dev-idp") for n in names["prod"])


def test_table_specs_follow_a_changed_model(monkeypatch):
    """The derivation is live: a new index on a model shows up in the table specs (nothing to edit in infra/)."""
    from pynamodb.attributes import UnicodeAttribute
    from pynamodb.indexes import KeysOnlyProjection

    from chalicelib.models.feedback import FeedbackModel
    from infra.tables import table_specs

    class ByLanguage(GlobalSecondaryIndex):
        class Meta:
            index_name = "by-language"
            projection = KeysOnlyProjection()

        language = UnicodeAttribute(hash_key=True)

    monkeypatch.setitem(FeedbackModel._indexes, "by-language", ByLanguage())
    (feedback,) = [s for s in table_specs() if s.name == "feedback"]
    assert [(i.name, i.hash_key.name, i.projection) for i in feedback.indexes] == [("by-language", "language", "KEYS_ONLY")]
