"""Counting DynamoDB round trips and the items they read with botocore event hooks (for tests and bench/)."""
from __future__ import annotations

from collections import Counter
from contextlib import contextmanager


class DynamoCalls:
    def __init__(self):
        self.calls: list[tuple[str, str]] = []
        self.items_read = 0  # items DynamoDB read for the calls: a Query's ScannedCount, a GetItem's item
        self.items_by_table: Counter = Counter()

    def answered(self, parsed=None, model=None, **_):
        parsed = parsed or {}
        read = 0
        if "ScannedCount" in parsed:
            read = parsed["ScannedCount"]
        elif "Item" in parsed:
            read = 1
        elif "Responses" in parsed and isinstance(parsed["Responses"], dict):
            read = sum(len(items) for items in parsed["Responses"].values())
        self.items_read += read
        self.items_by_table[self.calls[-1][1] if self.calls else "?"] += read  # calls answer in order (one thread)

    @property
    def session_items(self) -> int:
        return sum(n for table, n in self.items_by_table.items() if table.endswith("sessions"))

    def __call__(self, params=None, model=None, **_):
        table = (params or {}).get("TableName", "")
        if not table and model is not None:
            table = "(transaction)" if model.name.startswith("Transact") else "(batch)"
        self.calls.append((model.name if model is not None else "?", table))

    def excluding(self, *suffixes: str) -> list[tuple[str, str]]:
        return [c for c in self.calls if not any(c[1].endswith(s) for s in suffixes)]

    def summary(self) -> str:
        return ", ".join(f"{op} {table.split('-')[-1]}" for (op, table), _ in Counter(self.calls).items()) or "none"


def _clients() -> list:
    """The botocore clients the models use (one, shared: chalicelib/models/base.py); each once, so
    that no call is counted twice."""
    from chalicelib.models import all_models
    from chalicelib.models.base import connection

    found = {id(connection().client): connection().client}
    for model in all_models():
        client = model._get_connection().connection.client
        found.setdefault(id(client), client)
    return list(found.values())


@contextmanager
def count_dynamodb_calls():
    """Every DynamoDB API call made through the models inside the block, as (operation, table)."""
    counter = DynamoCalls()
    clients = _clients()
    for client in clients:
        client.meta.events.register("provide-client-params.dynamodb", counter)
        client.meta.events.register("after-call.dynamodb", counter.answered)
    try:
        yield counter
    finally:
        for client in clients:
            client.meta.events.unregister("provide-client-params.dynamodb", counter)
            client.meta.events.unregister("after-call.dynamodb", counter.answered)
