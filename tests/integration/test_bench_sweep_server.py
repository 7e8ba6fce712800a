"""The capacity benchmark's moto server (bench/sweep.py ``serve-moto``): what it changes in the
stand-in (connections kept open, a transaction's backup of only its own items) must not change
moto's answers."""
from __future__ import annotations

import http.client
import json

import pytest

REGION = "eu-north-1"


@pytest.fixture(scope="module")
def server():
    from bench.sweep import MotoServer

    running = MotoServer()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def dynamodb(server):
    import boto3
    from botocore.config import Config

    client = boto3.client("dynamodb", endpoint_url=f"http://127.0.0.1:{server.port}", region_name=REGION,
                          aws_access_key_id="testing", aws_secret_access_key="testing",
                          config=Config(read_timeout=10, retries={"max_attempts": 1}))
    client.create_table(TableName="things", BillingMode="PAY_PER_REQUEST",
                        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])
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
