"""Every table's model shares one PynamoDB connection: one botocore session and DynamoDB client."""
from __future__ import annotations


def test_every_model_uses_the_one_shared_client(aws):
    from chalicelib.models import all_models
    from chalicelib.models.base import connection
    from chalicelib.models.feedback import FeedbackModel

    clients = {id(model._get_connection().connection.client) for model in all_models()}
    assert clients == {id(connection().client)}
    # and the tables work through it (a table's metadata is found on the shared connection)
    assert FeedbackModel.count() == 0


def test_a_replaced_connection_is_picked_up(aws):
    """Tests replace the connection for each fresh moto account; models follow on their next use."""
    from chalicelib.models.base import connection
    from chalicelib.models.session import SessionModel

    first = SessionModel._get_connection().connection
    connection.cache_clear()
    assert SessionModel._get_connection().connection is connection() is not first
