"""The DynamoDB tables of a stage, read from the PynamoDB models (``chalicelib.models.all_models()``).

Nothing about a table is written twice: its name, keys, attribute types, global secondary indexes
(with their projections) and TTL attribute come from the model class, exactly as PynamoDB's own
``create_table`` (tests, ``make run``) sees them. ``tests/infra/test_tables.py`` compares the
synthesized templates with the models again, attribute by attribute.

This module needs no CDK; ``portal_stack.py`` turns the specs into ``aws_dynamodb.Table``s.
"""
from __future__ import annotations

from dataclasses import dataclass, field

# Tables that only some stages have: the bundled development identity provider's table exists only
# where the provider is mounted (``Settings.dev_idp_enabled``: never in prod).
STAGE_CONDITION = {"dev-idp": "dev_idp_enabled"}

# What the application may do on a table's items and indexes. Everything not listed here gets
# ITEM_ACTIONS; no table gets Scan (no Scan on any request path: docs/data-model.md), and the audit
# trail is append-only: the application puts entries and reads them back, never changes or removes one
# (BatchWriteItem is not granted there either: it can delete).
ITEM_ACTIONS = (
    "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem",
    "dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem",
)
TABLE_ACTIONS = {
    "audit": ("dynamodb:PutItem", "dynamodb:Query"),
}


@dataclass(frozen=True)
class Key:
    name: str
    type: str  # S | N | B


@dataclass(frozen=True)
class Index:
    name: str
    hash_key: Key
    range_key: Key | None
    projection: str  # ALL | KEYS_ONLY | INCLUDE
    non_key_attributes: tuple[str, ...] = ()


@dataclass(frozen=True)
class TableSpec:
    name: str  # without the stage prefix: "profiles"
    model: str  # the model class's name, for messages
    hash_key: Key
    range_key: Key | None
    indexes: tuple[Index, ...] = ()
    ttl_attribute: str | None = None
    actions: tuple[str, ...] = field(default=ITEM_ACTIONS)

    def table_name(self, prefix: str) -> str:
        return f"{prefix}{self.name}"


def spec_of(model, current_prefix: str) -> TableSpec:
    """The table a PynamoDB model declares (``current_prefix`` is the prefix its Meta was built with)."""
    table_name = model.Meta.table_name
    if not table_name.startswith(current_prefix):
        raise ValueError(f"{model.__name__}: table {table_name!r} does not start with {current_prefix!r}")
    name = table_name[len(current_prefix):]
    schema = model._get_schema()  # what PynamoDB's create_table sends: keys, their types, indexes
    types = {d["AttributeName"]: d["AttributeType"] for d in schema["attribute_definitions"]}

    def keys(key_schema) -> tuple[Key, Key | None]:
        hash_key = next(k["AttributeName"] for k in key_schema if k["KeyType"] == "HASH")
        range_key = next((k["AttributeName"] for k in key_schema if k["KeyType"] == "RANGE"), None)
        return Key(hash_key, types[hash_key]), (Key(range_key, types[range_key]) if range_key else None)

    if schema["local_secondary_indexes"]:
        raise NotImplementedError(f"{model.__name__}: local secondary indexes are not deployed yet")
    hash_key, range_key = keys(schema["key_schema"])
    indexes = []
    for gsi in schema["global_secondary_indexes"]:
        index_hash, index_range = keys(gsi["key_schema"])
        projection = gsi["projection"]
        indexes.append(Index(
            name=gsi["index_name"], hash_key=index_hash, range_key=index_range,
            projection=projection["ProjectionType"],
            non_key_attributes=tuple(projection.get("NonKeyAttributes", ())),
        ))
    ttl = [a.attr_name for a in model.get_attributes().values() if type(a).__name__ == "TTLAttribute"]
    if len(ttl) > 1:
        raise ValueError(f"{model.__name__}: DynamoDB allows one TTL attribute, the model has {ttl}")
    return TableSpec(
        name=name, model=model.__name__, hash_key=hash_key, range_key=range_key,
        indexes=tuple(sorted(indexes, key=lambda i: i.name)), ttl_attribute=ttl[0] if ttl else None,
        actions=TABLE_ACTIONS.get(name, ITEM_ACTIONS),
    )


def table_specs(stage_settings=None) -> list[TableSpec]:
    """Every table of the portal; with ``stage_settings`` (a ``chalicelib.config.Settings``) only those
    that stage has."""
    from chalicelib.config import settings
    from chalicelib.models import all_models

    prefix = settings().table_prefix
    specs = [spec_of(model, prefix) for model in all_models()]
    names = [s.name for s in specs]
    if len(set(names)) != len(names):
        raise ValueError(f"two models share a table: {sorted(names)}")
    if stage_settings is not None:
        specs = [s for s in specs if s.name not in STAGE_CONDITION or getattr(stage_settings, STAGE_CONDITION[s.name])]
    return sorted(specs, key=lambda s: s.name)
