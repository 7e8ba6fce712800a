"""DynamoDB's per-request atomicity for moto's in-process DynamoDB, which the tests race with threads.

DynamoDB applies every request atomically: a conditional PutItem, UpdateItem or DeleteItem checks its
condition and writes as one step, and TransactWriteItems checks every condition before any of its
writes is visible, and applies all of them or none. moto (5.2) does each of these in plain Python with
no lock, so under threads

- two conditional writes can both pass a check the other was about to make false (two submissions
  for one draft, two sweeps claiming one customer);
- a transaction's writes are visible one by one while it still runs (another request can read an
  item the transaction will roll back);
- a transaction that is cancelled rolls back by putting back a copy of each table it touched, taken
  when it began, which throws away whatever other requests wrote to those tables in the meantime.

Run by one thread at a time, moto's transaction is all or nothing (it checks each item's condition
before writing it and, when any fails, restores the copies), which is what
``tests/integration/test_moto_atomicity.py`` pins. So the harness gives moto one lock that every
DynamoDB request holds from the parsed request to the serialised answer: reads, writes, queries and
transactions are then each one indivisible step, as DynamoDB makes them (serializable between
single-item requests and transactions). The lock is a ``threading.RLock`` looked up when each request
starts (``LOCK`` below), so a test may replace it with an instrumented one.

The lock covers requests made in process through ``mock_aws`` and those served by a moto server
running in the tests' own process (``ThreadedMotoServer``), since both reach ``DynamoHandler``.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager

LOCK = threading.RLock()


@contextmanager
def atomic_requests():
    """Inside the block every DynamoDB request to moto runs alone (see the module's docstring)."""
    from moto.dynamodb.responses import DynamoHandler

    original = DynamoHandler.call_action

    def call_action(self):
        with LOCK:
            return original(self)

    DynamoHandler.call_action = call_action
    try:
        yield
    finally:
        DynamoHandler.call_action = original

