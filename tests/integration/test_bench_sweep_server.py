"""The capacity benchmark's moto server (bench/sweep.py ``serve-moto``): what it changes in the
stand-in (connections kept open, a transaction's backup of only its own items, index partitions
read from the query's start, expressions parsed once) must not change moto's answers."""
from __future__ import annotations

import http.client
import json
import re
import uuid

import pytest

REGION = "eu-north-1"


@pytest.fixture(scope="module")
def server():
    from bench.sweep import MotoServer

    running = MotoServer()
    yield running
    running.stop()


def _client(port: int):
    import boto3
    from botocore.config import Config

    return boto3.client("dynamodb", endpoint_url=f"http://127.0.0.1:{port}", region_name=REGION,
                        aws_access_key_id="testing", aws_secret_access_key="testing",
                        config=Config(read_timeout=10, retries={"max_attempts": 1}))


def _keyed_table(client, name: str) -> None:
    client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])


@pytest.fixture(scope="module")
def dynamodb(server):
    client = _client(server.port)
    _keyed_table(client, "things")
    return client


def _request(connection: http.client.HTTPConnection, target: str, body: dict) -> http.client.HTTPResponse:
    connection.request("POST", "/", body=json.dumps(body), headers={
        "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": f"DynamoDB_20120810.{target}",
        "Authorization": f"AWS4-HMAC-SHA256 Credential=testing/20260601/{REGION}/dynamodb/aws4_request, "
                         "SignedHeaders=host, Signature=0"})
    return connection.getresponse()


def test_requests_follow_each_other_on_one_kept_connection(server, dynamodb):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    first = None
    for _ in range(5):  # back to back: the next request is on the wire before the server could wait
        response = _request(connection, "ListTables", {})
        assert response.status == 200 and "things" in json.loads(response.read())["TableNames"]
        assert not response.will_close  # no "Connection: close"
        first = first or connection.sock
        assert connection.sock is first  # the same socket: http.client would have opened a new one
    connection.close()


def _item(dynamodb, key: str) -> dict:
    return dynamodb.get_item(TableName="things", Key={"id": {"S": key}}, ConsistentRead=True).get("Item")


def test_a_cancelled_transaction_leaves_every_item_as_it_was_and_a_successful_one_writes_all(dynamodb):
    for key in ("a", "b"):
        dynamodb.put_item(TableName="things", Item={"id": {"S": key}, "n": {"N": "1"}})

    def update(key: str, condition: str) -> dict:
        return {"Update": {"TableName": "things", "Key": {"id": {"S": key}}, "UpdateExpression": "SET n = :two",
                           "ConditionExpression": condition, "ExpressionAttributeValues": {":two": {"N": "2"}}}}

    # "a" passes its condition and is updated first; "c" does not exist: the transaction is cancelled.
    with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
        dynamodb.transact_write_items(TransactItems=[update("a", "attribute_exists(n)"),
                                                     update("c", "attribute_exists(n)"),
                                                     update("b", "attribute_exists(n)")])
    assert _item(dynamodb, "a") == {"id": {"S": "a"}, "n": {"N": "1"}}
    assert _item(dynamodb, "b") == {"id": {"S": "b"}, "n": {"N": "1"}}
    assert _item(dynamodb, "c") is None  # an update would have created it: rolled back too

    dynamodb.transact_write_items(TransactItems=[update("a", "attribute_exists(n)"),
                                                 update("b", "attribute_exists(n)")])
    assert _item(dynamodb, "a")["n"] == {"N": "2"} and _item(dynamodb, "b")["n"] == {"N": "2"}
    found = dynamodb.batch_get_item(RequestItems={"things": {"Keys": [{"id": {"S": "a"}}, {"id": {"S": "b"}}],
                                                             "ConsistentRead": True}})
    assert sorted(i["id"]["S"] for i in found["Responses"]["things"]) == ["a", "b"]


@pytest.fixture(scope="module")
def plain_moto():
    """moto's own server, unchanged, in this process: the answers the bench's server must give."""
    from moto.server import ThreadedMotoServer

    from bench.sweep import _free_port

    port = _free_port()
    running = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    running.start()
    yield port
    running.stop()


def _s(value: str) -> dict:
    return {"S": value}


def _indexed_table(client, name: str, with_range: bool) -> None:
    """A table like the portal's: a sparse index with a range key (``pending``: pshard, psince) and
    one with a hash key only (``by-owner``), over a table with or without a range key."""
    keys = [{"AttributeName": "id", "KeyType": "HASH"}] + (
        [{"AttributeName": "part", "KeyType": "RANGE"}] if with_range else [])
    definitions = [{"AttributeName": a, "AttributeType": "S"} for a in ("id", "pshard", "psince", "owner")] + (
        [{"AttributeName": "part", "AttributeType": "S"}] if with_range else [])
    client.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST", AttributeDefinitions=definitions, KeySchema=keys,
        GlobalSecondaryIndexes=[
            {"IndexName": "pending", "Projection": {"ProjectionType": "ALL"},
             "KeySchema": [{"AttributeName": "pshard", "KeyType": "HASH"},
                           {"AttributeName": "psince", "KeyType": "RANGE"}]},
            {"IndexName": "by-owner", "Projection": {"ProjectionType": "KEYS_ONLY"},
             "KeySchema": [{"AttributeName": "owner", "KeyType": "HASH"}]}])


def _writes(client, name: str, with_range: bool) -> None:
    def key(n: int) -> dict:
        return {"id": _s(f"i{n % 7}" if with_range else f"i{n:03d}"), **({"part": _s(f"p{n:03d}")} if with_range else {})}

    for n in range(60):
        item = {**key(n), "owner": _s(f"o{n % 3}"), "n": {"N": str(n)}}
        if n % 5:
            # Equal "psince" values in a shard: the table's keys decide their order.
            item.update(pshard=_s("ab"[n % 2]), psince=_s(f"2026-06-01T{n % 4:02d}"))
        if n % 11 == 0:
            item["blocked"] = _s("sms")
        client.put_item(TableName=name, Item=item)
    # In place: into a partition, out of one, across, and a deletion and a replacement.
    client.update_item(TableName=name, Key=key(0), UpdateExpression="SET pshard = :a, psince = :t",
                       ExpressionAttributeValues={":a": _s("a"), ":t": _s("2026-05-31")})
    client.update_item(TableName=name, Key=key(1), UpdateExpression="REMOVE pshard, psince")
    client.update_item(TableName=name, Key=key(2), UpdateExpression="SET pshard = :b",
                       ExpressionAttributeValues={":b": _s("b")})
    client.delete_item(TableName=name, Key=key(3))
    client.put_item(TableName=name, Item={**key(4), "owner": _s("o9"), "pshard": _s("a"), "psince": _s("2026-06-02")})
    client.transact_write_items(TransactItems=[{"Update": {
        "TableName": name, "Key": key(5), "UpdateExpression": "SET pshard = :b, psince = :t, #o = :o",
        "ExpressionAttributeNames": {"#o": "owner"},
        "ExpressionAttributeValues": {":b": _s("b"), ":t": _s("2026-06-01T09"), ":o": _s("o7")}}}])


def _pages(client, name: str, **query) -> list:
    pages, start = [], None
    while True:
        answer = client.query(TableName=name, **query, **({"ExclusiveStartKey": start} if start else {}))
        pages.append((answer["Items"], answer.get("LastEvaluatedKey")))
        start = answer.get("LastEvaluatedKey")
        if not start:
            return pages


@pytest.mark.parametrize("with_range", [False, True])
def test_index_queries_answer_page_for_page_as_moto_does(server, plain_moto, with_range):
    """The bench's server hands moto only an index partition from the query's start on: every page,
    LastEvaluatedKey and count is moto's own, forwards and backwards, with filters and range
    conditions, after items moved in and out of partitions in place."""
    name = f"indexed-{uuid.uuid4().hex[:6]}"
    bench, plain = _client(server.port), _client(plain_moto)
    for client in (bench, plain):
        _indexed_table(client, name, with_range)
        _writes(client, name, with_range)
    queries = []
    for shard in ("a", "b", "c"):
        for limit in (1, 4, 7, 100):
            for forward in (True, False):
                common = {"IndexName": "pending", "Limit": limit, "ScanIndexForward": forward,
                          "ExpressionAttributeValues": {":s": _s(shard)}}
                queries.append({**common, "KeyConditionExpression": "pshard = :s"})
                queries.append({**common, "KeyConditionExpression": "pshard = :s",
                                "FilterExpression": "attribute_not_exists(blocked)"})
                queries.append({**common, "KeyConditionExpression": "pshard = :s AND psince <= :t",
                                "ExpressionAttributeValues": {":s": _s(shard), ":t": _s("2026-06-01T02")}})
    for owner in ("o0", "o1", "o7", "o9", "none"):
        for limit in (2, 50):
            queries.append({"IndexName": "by-owner", "Limit": limit, "KeyConditionExpression": "#o = :o",
                            "ExpressionAttributeNames": {"#o": "owner"},
                            "ExpressionAttributeValues": {":o": _s(owner)}})
    for query in queries:
        assert _pages(bench, name, **query) == _pages(plain, name, **query), query


# Update expressions of every kind moto's validator processes, and some it refuses.
_UPDATES = [
    ("SET n = n + :one, #l = list_append(if_not_exists(#l, :empty), :list)", {"#l": "l"}, True),
    ("SET m.deep = :one, s2 = :s REMOVE gone", None, True),
    ("ADD tally :one, labels :set DELETE old_tags :old", None, True),
    ("SET n = n - :one REMOVE l[0]", None, True),
    ("SET #a = :s, #b = n", {"#a": "a", "#b": "b"}, True),
    ("REMOVE n, n", None, False),  # overlapping paths
    ("SET id = :s", None, False),  # a key attribute
    ("SET n = n + :s", None, False),  # a type mismatch
    ("SET missing = missing + :one", None, False),  # no such attribute
    ("SET n = :one SET s2 = :s", None, False),  # two SET clauses
    ("SET e = :empty_s", None, True),
]


def _updated_twice_on_each(ports: tuple[int, int], item: dict, values: dict, **update) -> list:
    """On each server: a table holding ``item``, updated twice with ``update`` and those of
    ``values`` its expressions use; the outcomes (the item, or the error's code and message) per server."""
    import botocore.exceptions

    expressions = " ".join(update.get(k, "") for k in ("UpdateExpression", "ConditionExpression"))
    used = {key: value for key, value in values.items() if re.search(re.escape(key) + r"\b", expressions)}
    if used:
        update["ExpressionAttributeValues"] = used
    outcomes = []
    for port in ports:
        client, name = _client(port), f"updated-{uuid.uuid4().hex[:6]}"
        _keyed_table(client, name)
        client.put_item(TableName=name, Item=item)
        outcome = []
        for _ in range(2):  # the second time from the bench server's caches
            try:
                answer = client.update_item(TableName=name, Key={"id": _s("k")}, ReturnValues="ALL_NEW", **update)
                outcome.append(("ok", answer["Attributes"]))
            except botocore.exceptions.ClientError as error:
                outcome.append((error.response["Error"]["Code"], error.response["Error"]["Message"]))
        outcomes.append(outcome)
    return outcomes


_ITEM = {"id": _s("k"), "n": {"N": "5"}, "l": {"L": [{"S": "first"}]}, "gone": _s("g"), "old_tags": {"SS": ["z", "w"]}}


@pytest.mark.parametrize("expression, names, succeeds", _UPDATES)
def test_updates_answer_as_moto_does(server, plain_moto, expression, names, succeeds):
    """The bench's server parses each update expression once and walks it faster: the item and the
    error are moto's own."""
    values = {":one": {"N": "1"}, ":s": {"S": "x"}, ":empty": {"L": []}, ":list": {"L": [{"S": "y"}]},
              ":set": {"SS": ["a", "b"]}, ":old": {"SS": ["z"]}, ":empty_s": {"S": ""}}
    outcomes = _updated_twice_on_each((server.port, plain_moto), {**_ITEM, "m": {"M": {}}}, values,
                                      UpdateExpression=expression,
                                      **({"ExpressionAttributeNames": names} if names else {}))
    assert outcomes[0] == outcomes[1]
    assert (outcomes[0][0][0] == "ok") == succeeds, outcomes[0]


# Condition expressions (a filter's are read by the same parser), and some moto refuses.
_CONDITIONS = [
    ("attribute_exists(n) AND (attribute_not_exists(lease) OR lease < :s)", True),
    ("n BETWEEN :one AND :nine", True),
    ("size(l) >= :one AND begins_with(gone, :g)", True),
    ("NOT contains(old_tags, :s) AND n IN (:one, :five)", True),
    ("#m.deep = :one OR n <> :one", True),
    ("n < :one", False),  # the condition fails
    ("n = = :one", False),
    ("n $ :one", False),
    ("(n = :one", False),
    ("counter = :one", False),  # a reserved word
]


@pytest.mark.parametrize("condition, holds", _CONDITIONS)
def test_conditions_answer_as_moto_does(server, plain_moto, condition, holds):
    """The bench's server reads a condition's tokens once per text: each parse, and so each update's
    outcome or error, is moto's own, the first time and from the cache."""
    values = {":one": {"N": "1"}, ":five": {"N": "5"}, ":nine": {"N": "9"}, ":s": {"S": "x"}, ":g": {"S": "g"},
              ":true": {"BOOL": True}}
    outcomes = _updated_twice_on_each((server.port, plain_moto), _ITEM, values,
                                      UpdateExpression="SET seen = :true", ConditionExpression=condition,
                                      **({"ExpressionAttributeNames": {"#m": "m"}} if "#m" in condition else {}))
    assert outcomes[0] == outcomes[1]
    assert (outcomes[0][0][0] == "ok") == holds, outcomes[0]
