"""The harness's promise (tests/dynamodb_atomicity.py): moto's DynamoDB applies each request atomically,
as DynamoDB does, also when tests race threads. Each race here is staged step by step (one thread
stopped inside moto's transaction until the other request has either run or is waiting for the
lock), so the outcome never depends on how the threads happen to be scheduled. Each race is run
without the harness as well, to show what moto alone does and so that the lock is seen to matter."""
from __future__ import annotations

import threading
from contextlib import nullcontext

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from tests import dynamodb_atomicity
from tests.dynamodb_atomicity import atomic_requests

TABLE = "atomicity"
pytestmark = pytest.mark.race

CEILING = 30  # seconds: only if a staged step never comes (a broken test), never reached otherwise


class WatchedLock:
    """The harness's lock, telling when a request had to wait for it and who holds it."""

    def __init__(self, *tell: threading.Event):
        self._lock = threading.RLock()
        self.waited = threading.Event()
        self.tell = tell
        self.holder = None

    def __enter__(self):
        if not self._lock.acquire(blocking=False):
            for event in (self.waited, *self.tell):
                event.set()
            self._lock.acquire()
        self.holder = threading.current_thread()
        return self

    def __exit__(self, *exc):
        self.holder = None
        self._lock.release()


@pytest.fixture
def dynamodb():
    with mock_aws():
        client = boto3.client("dynamodb", region_name="eu-north-1")
        client.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield client


def key(name: str) -> dict:
    return {"id": {"S": name}}


def put(name: str, **condition) -> dict:
    return {"Put": {"TableName": TABLE, "Item": key(name), **condition}}


def must_not_exist() -> dict:
    return {"ConditionExpression": "attribute_not_exists(id)"}


def must_exist() -> dict:
    return {"ConditionExpression": "attribute_exists(id)"}


def stored(client) -> set[str]:
    return {item["id"]["S"] for item in client.scan(TableName=TABLE)["Items"]}


class Staging:
    """Runs ``transaction`` in one thread, stops it inside moto when it looks up the item ``at``
    (after moto took its copy of the tables for a rollback), runs ``other`` in a second thread, and
    lets the transaction go on once ``other`` has finished or is waiting for the harness's lock."""

    def __init__(self, monkeypatch, *, at: str):
        from moto.dynamodb.models import DynamoDBBackend

        self.other_ran_or_waits = threading.Event()
        self.stopped = threading.Event()
        self.lock = WatchedLock(self.other_ran_or_waits)
        monkeypatch.setattr(dynamodb_atomicity, "LOCK", self.lock)
        original, staging = DynamoDBBackend.get_item, self

        def get_item(backend, table_name, keys, *args, **kwargs):
            if (threading.current_thread() is staging.transaction_thread and keys == key(at)
                    and not staging.stopped.is_set()):
                staging.stopped.set()
                assert staging.other_ran_or_waits.wait(CEILING), "the other request neither ran nor waited"
            return original(backend, table_name, keys, *args, **kwargs)

        monkeypatch.setattr(DynamoDBBackend, "get_item", get_item)
        self.transaction_thread = None

    def run(self, transaction, other):
        outcomes = {}

        def record(name, action):
            try:
                outcomes[name] = action()
            except ClientError as error:
                outcomes[name] = error.response["Error"]["Code"]
            finally:
                if name == "other":
                    self.other_ran_or_waits.set()

        self.transaction_thread = threading.Thread(target=record, args=("transaction", transaction))
        other_thread = threading.Thread(target=record, args=("other", other))
        self.transaction_thread.start()
        assert self.stopped.wait(CEILING), "the transaction never reached the staged step"
        other_thread.start()
        self.transaction_thread.join()
        other_thread.join()
        return outcomes


@pytest.mark.parametrize("harness", [True, False], ids=["with the harness", "moto alone"])
def test_a_cancelled_transaction_keeps_what_another_request_wrote_meanwhile(dynamodb, monkeypatch, harness):
    """Given a transaction that will be cancelled (its second condition fails), when another request
    writes to the same table while the transaction runs, then that write stays, as in DynamoDB.
    moto alone rolls back by putting back its copy of the whole table and loses the write."""
    staging = Staging(monkeypatch, at="first")

    def transaction():
        return dynamodb.transact_write_items(TransactItems=[put("first", **must_not_exist()),
                                                            put("second", **must_exist())])

    def other():
        return dynamodb.put_item(TableName=TABLE, Item=key("meanwhile"), **must_not_exist())

    with atomic_requests() if harness else nullcontext():
        outcomes = staging.run(transaction, other)
    assert outcomes["transaction"] == "TransactionCanceledException"
    assert staging.lock.waited.is_set() is harness
    assert stored(dynamodb) == ({"meanwhile"} if harness else set())


@pytest.mark.parametrize("harness", [True, False], ids=["with the harness", "moto alone"])
def test_no_request_sees_a_transaction_half_done(dynamodb, monkeypatch, harness):
    """Given a transaction whose first write is done and whose second condition will fail, a read
    at that moment sees nothing of it, as in DynamoDB; moto alone shows the write it rolls back."""
    staging = Staging(monkeypatch, at="second")

    def transaction():
        return dynamodb.transact_write_items(TransactItems=[put("first", **must_not_exist()),
                                                            put("second", **must_exist())])

    def other():
        return "Item" in dynamodb.get_item(TableName=TABLE, Key=key("first"), ConsistentRead=True)

    with atomic_requests() if harness else nullcontext():
        outcomes = staging.run(transaction, other)
    assert outcomes["transaction"] == "TransactionCanceledException"
    assert outcomes["other"] is (not harness)  # the read saw the write the transaction rolled back
    assert stored(dynamodb) == set()


def test_every_kind_of_request_holds_the_lock_while_moto_runs_it(dynamodb, monkeypatch):
    from moto.dynamodb.models import DynamoDBBackend

    lock = WatchedLock()
    monkeypatch.setattr(dynamodb_atomicity, "LOCK", lock)
    seen = {}
    # moto's backend does the work of these (a batch and a transactional read use put_item and get_item)
    for name in ("put_item", "update_item", "delete_item", "get_item", "query", "scan", "transact_write_items"):
        original = getattr(DynamoDBBackend, name)

        def watched(backend, *args, _name=name, _original=original, **kwargs):
            seen.setdefault(_name, set()).add(lock.holder is threading.current_thread())
            return _original(backend, *args, **kwargs)

        monkeypatch.setattr(DynamoDBBackend, name, watched)

    with atomic_requests():
        dynamodb.put_item(TableName=TABLE, Item=key("a"), **must_not_exist())
        dynamodb.update_item(TableName=TABLE, Key=key("a"), UpdateExpression="SET n = :n",
                             ExpressionAttributeValues={":n": {"N": "1"}}, **must_exist())
        dynamodb.get_item(TableName=TABLE, Key=key("a"))
        dynamodb.query(TableName=TABLE, KeyConditionExpression="id = :a", ExpressionAttributeValues={":a": {"S": "a"}})
        dynamodb.scan(TableName=TABLE)
        dynamodb.transact_write_items(TransactItems=[put("b", **must_not_exist())])
        dynamodb.transact_get_items(TransactItems=[{"Get": {"TableName": TABLE, "Key": key("b")}}])
        dynamodb.batch_write_item(RequestItems={TABLE: [{"PutRequest": {"Item": key("c")}}]})
        dynamodb.delete_item(TableName=TABLE, Key=key("a"), **must_exist())
        assert stored(dynamodb) == {"b", "c"}
    assert set(seen) == {"put_item", "update_item", "delete_item", "get_item", "query", "scan", "transact_write_items"}
    assert all(held == {True} for held in seen.values()), seen


def test_a_transaction_applies_all_of_its_writes_or_none(dynamodb):
    """moto run by one thread at a time (as the harness makes it) is DynamoDB's all or nothing: one
    failed condition cancels the writes before and after it, and names the item that failed."""
    dynamodb.put_item(TableName=TABLE, Item={**key("kept"), "n": {"N": "1"}})
    with atomic_requests():
        with pytest.raises(ClientError) as cancelled:
            dynamodb.transact_write_items(TransactItems=[
                put("new", **must_not_exist()),
                {"Update": {"TableName": TABLE, "Key": key("kept"), "UpdateExpression": "SET n = :two",
                            "ExpressionAttributeValues": {":two": {"N": "2"}}}},
                {"ConditionCheck": {"TableName": TABLE, "Key": key("absent"), **must_exist()}},
                put("later"),
            ])
        assert cancelled.value.response["Error"]["Code"] == "TransactionCanceledException"
        reasons = [reason["Code"] for reason in cancelled.value.response["CancellationReasons"]]
        assert reasons == ["None", "None", "ConditionalCheckFailed", "None"]
        assert stored(dynamodb) == {"kept"}
        assert dynamodb.get_item(TableName=TABLE, Key=key("kept"))["Item"]["n"] == {"N": "1"}

        dynamodb.transact_write_items(TransactItems=[
            put("new", **must_not_exist()),
            {"Delete": {"TableName": TABLE, "Key": key("kept"), **must_exist()}},
        ])
        assert stored(dynamodb) == {"new"}
