"""DynamoDB's 400 KB item limit for moto, which the tests use in place of DynamoDB.

DynamoDB refuses a PutItem (alone, in a batch or in a transaction) whose item is larger than 400 KB
with ``ValidationException: Item size has exceeded the maximum allowed size``, and an UpdateItem
whose result would be with ``Item size to update has exceeded the maximum allowed size``. moto
(5.2) checks only an approximation (``LimitedSizeDict``: 405,000 bytes of the values' ``str()``,
only when a top-level attribute is set), so it refuses some items DynamoDB stores and lets a list
that grows inside an item (a draft's attachment references) pass. Inside
``refuse_oversized_items()`` moto's check is off and every item written is measured as DynamoDB
measures it (``item_size``); one over ``MAX_ITEM_BYTES`` is refused with DynamoDB's own error and
the stored item is left as it was.
The ``aws`` fixture (tests/conftest.py) wraps every test in it.

The measure, from the DynamoDB developer guide ("Item sizes and formats"): each attribute's name
(UTF-8 bytes) plus its value: a string its UTF-8 bytes; a binary its raw bytes; a number 1 byte per
two significant digits plus 1; a Boolean or null 1 byte; a list or map 3 bytes plus 1 byte per
element, plus each element (a map's element with its name); a set the sum of its elements.
"""
from __future__ import annotations

import base64
import copy
from contextlib import contextmanager

MAX_ITEM_BYTES = 400 * 1024


def _number_size(text: str) -> int:
    digits = text.strip().lstrip("+-").lower().split("e")[0].replace(".", "").strip("0")
    return (len(digits) + 1) // 2 + 1 if digits else 1


def _binary_size(value) -> int:
    if isinstance(value, (bytes, bytearray)):
        return len(value)
    try:
        return len(base64.b64decode(value, validate=True))
    except ValueError:
        return len(str(value).encode("utf-8"))


def value_size(value) -> int:
    """The size of one attribute value: a moto DynamoType or DynamoDB JSON ({"S": "x"})."""
    if hasattr(value, "type") and hasattr(value, "value"):
        kind, raw = value.type, value.value
    else:
        (kind, raw), = value.items()
    if kind == "S":
        return len(raw.encode("utf-8"))
    if kind == "N":
        return _number_size(raw)
    if kind == "B":
        return _binary_size(raw)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(v.encode("utf-8")) for v in raw)
    if kind == "NS":
        return sum(_number_size(v) for v in raw)
    if kind == "BS":
        return sum(_binary_size(v) for v in raw)
    if kind == "L":
        return 3 + sum(1 + value_size(v) for v in raw)
    if kind == "M":
        return 3 + sum(1 + len(k.encode("utf-8")) + value_size(v) for k, v in raw.items())
    raise ValueError(f"unknown DynamoDB type {kind!r}")


def item_size(attributes: dict) -> int:
    """An item's size as DynamoDB counts it against the 400 KB limit: names and values."""
    return sum(len(name.encode("utf-8")) + value_size(value) for name, value in attributes.items())


@contextmanager
def refuse_oversized_items():
    """Inside the block moto refuses any item over MAX_ITEM_BYTES as DynamoDB does (see the module)."""
    from moto.dynamodb.exceptions import ItemSizeTooLarge
    from moto.dynamodb.models.dynamo_type import LimitedSizeDict
    from moto.dynamodb.models.table import Table
    from moto.dynamodb.parsing.executors import UpdateExpressionExecutor

    original_put, original_execute = Table.put_item, UpdateExpressionExecutor.execute
    original_setitem = LimitedSizeDict.__setitem__

    def put_item(self, item_attrs, *args, **kwargs):
        if item_size(item_attrs) > MAX_ITEM_BYTES:
            raise ItemSizeTooLarge()  # "Item size has exceeded the maximum allowed size"
        return original_put(self, item_attrs, *args, **kwargs)

    def execute(self, node=None):
        if node is not None:  # the executor's own recursion: measured once, at the top
            return original_execute(self, node)
        before = copy.deepcopy(self.item.attrs)
        original_execute(self)
        if item_size(self.item.attrs) > MAX_ITEM_BYTES:
            self.item.attrs = before
            raise ItemSizeTooLarge()  # moto's update_item answers "Item size to update has exceeded …"

    Table.put_item, UpdateExpressionExecutor.execute = put_item, execute
    LimitedSizeDict.__setitem__ = dict.__setitem__  # moto's approximation: ours replaces it
    try:
        yield
    finally:
        Table.put_item, UpdateExpressionExecutor.execute = original_put, original_execute
        LimitedSizeDict.__setitem__ = original_setitem
