"""The harness refuses an item over 400 KB as DynamoDB does (tests/dynamodb_item_size.py): so every
test that writes one fails as it would on AWS."""
from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.dynamodb_item_size import MAX_ITEM_BYTES, item_size


@pytest.fixture
def table(aws):
    import boto3

    dynamodb = boto3.client("dynamodb", region_name="eu-north-1")
    dynamodb.create_table(TableName="size-test", BillingMode="PAY_PER_REQUEST",
                          KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                          AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    return dynamodb


def _item(total: int) -> dict:
    """An item of exactly ``total`` bytes: "pk" (2) + "a" (1) + "data" (4) + the two strings."""
    return {"pk": {"S": "a"}, "data": {"S": "x" * (total - 2 - 1 - 4)}}


@pytest.mark.parametrize("attributes, size", [
    ({"a": {"S": "ä"}}, 1 + 2),
    ({"n": {"N": "123.4500"}}, 1 + 3 + 1),           # 12345: three bytes for five digits, one more
    ({"n": {"N": "-0.001"}}, 1 + 1 + 1),
    ({"b": {"B": b"\x00\x01\x02"}}, 1 + 3),
    ({"t": {"BOOL": True}, "z": {"NULL": True}}, 2 + 2),
    ({"l": {"L": [{"S": "ab"}, {"N": "1"}]}}, 1 + 3 + (1 + 2) + (1 + 2)),
    ({"m": {"M": {"k": {"S": "v"}}}}, 1 + 3 + 1 + 1 + 1),
    ({"s": {"SS": ["a", "bc"]}}, 1 + 3),
])
def test_the_measure_is_dynamodbs(attributes, size):
    assert item_size(attributes) == size


def test_an_item_of_400_kb_is_stored_and_one_byte_more_is_refused(table):
    table.put_item(TableName="size-test", Item=_item(MAX_ITEM_BYTES))
    with pytest.raises(ClientError) as refused:
        table.put_item(TableName="size-test", Item=_item(MAX_ITEM_BYTES + 1))
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert refused.value.response["Error"]["Message"] == "Item size has exceeded the maximum allowed size"
    assert len(table.get_item(TableName="size-test", Key={"pk": {"S": "a"}})["Item"]["data"]["S"]) == MAX_ITEM_BYTES - 7


def test_an_update_that_grows_a_list_past_400_kb_is_refused_and_changes_nothing(table):
    table.put_item(TableName="size-test", Item={"pk": {"S": "a"}, "refs": {"L": []}})
    chunk = {"M": {"name": {"S": "x" * 60_000}}}
    for _ in range(6):
        table.update_item(TableName="size-test", Key={"pk": {"S": "a"}}, UpdateExpression="SET refs = list_append(refs, :r)",
                          ExpressionAttributeValues={":r": {"L": [chunk]}})
    with pytest.raises(ClientError) as refused:
        table.update_item(TableName="size-test", Key={"pk": {"S": "a"}}, UpdateExpression="SET refs = list_append(refs, :r)",
                          ExpressionAttributeValues={":r": {"L": [chunk]}})
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert "exceeded the maximum allowed size" in refused.value.response["Error"]["Message"]
    assert len(table.get_item(TableName="size-test", Key={"pk": {"S": "a"}})["Item"]["refs"]["L"]) == 6


def test_batches_and_transactions_are_refused_too(table):
    with pytest.raises(ClientError):
        table.batch_write_item(RequestItems={"size-test": [{"PutRequest": {"Item": _item(MAX_ITEM_BYTES + 1)}}]})
    with pytest.raises(ClientError):
        table.transact_write_items(TransactItems=[
            {"Put": {"TableName": "size-test", "Item": {"pk": {"S": "b"}}}},
            {"Put": {"TableName": "size-test", "Item": _item(MAX_ITEM_BYTES + 1)}},
        ])
    assert table.scan(TableName="size-test")["Items"] == []  # scan-ok: test inspection


def test_a_pynamodb_model_save_over_400_kb_fails_as_on_aws(aws):
    """What the portal's own writes meet: PynamoDB's PutError carrying DynamoDB's ValidationException."""
    from pynamodb.exceptions import PutError

    from chalicelib.models.forms import DraftModel
    from chalicelib import clock

    now = clock.utcnow()
    draft = DraftModel(owner_id="o", draft_id="a" * 32, service_id="s", answers={"x": "y" * (MAX_ITEM_BYTES + 1)},
                       attachments=[], page_reached=1, created_by="n", created_at=now, updated_at=now, expires_at=now)
    with pytest.raises(PutError) as refused:
        draft.save()
    assert refused.value.cause_response_code == "ValidationException"
