"""Capacity of the fanned-out notification sweep: notifications a second for 1, 2 and 4 workers,
DynamoDB and SQS calls per notification at two sizes, and how long 100,000 notifications take at
SES/SNS quotas of 14, 50 and 200 a second.

    PYTHONPATH=. .venv/bin/python bench/sweep.py                     # 100,000 pending customers
    PYTHONPATH=. .venv/bin/python bench/sweep.py --pending 20000     # a smaller run (docs/benchmarks.md)

What runs, all on this machine:

- **A moto server** (its own OS process) stands in for DynamoDB and SQS, with the portal's tables and
  the notification queue (``fanout.create_queues``). Profiles and their folder items are written to it
  in batches (BatchWriteItem, 25 an call). moto answers a Query of a global secondary index by walking
  every item of the table and sorting what matched (DynamoDB reads only the index partition asked
  for, from the query's start): left as it is, the stand-in's own cost per notification would grow
  with the table and swamp what is measured. The bench's moto server therefore keeps each index's
  partitions in order as writes happen (``_index_moto``) and hands moto's unchanged Query code only
  the partition's items from the start on. More changes, all to the stand-in's own overhead, none to
  what moto answers (tests/integration/test_bench_sweep_server.py compares them with unchanged moto):
  it reads and writes the data calls' JSON directly (``_fast_dynamodb_answers``); it parses each
  update expression once and walks it without moto's per-node rebuilding of its maps
  (``_fast_expressions``); it keeps HTTP connections open as DynamoDB and SQS do (werkzeug's
  development server closed every connection, so every call cost a TCP connection and a server
  thread: ``_keep_alive_handler``) and remembers which service a request is for (``_route_once``);
  and a TransactWriteItems backs up only the items it names, where moto deep-copies every table it
  touches (``_item_backups``). Why these matter: the moto server is one Python process, so every
  worker's calls queue for its one interpreter lock; the more CPU a call costs it, the longer each
  of 4 workers waits behind the others (at 60% busy a call took 2.2 times as long as with 1
  worker), and that wait, not the portal's design, is what held 4 workers under 3 times one.
- **The planner** (``fanout.plan``, this process) queues one message per shard.
- **Workers**, each a separate OS process, receive the queue's messages from the moto server and hand
  each to ``fanout.work`` (what Lambda's event source mapping does for ``app.notification_worker``),
  deleting it afterwards. Each worker has ``--threads`` threads (default 1; see below). The sender is
  a fake that takes ``--latency`` (50 ms) a message, standing in for SES/SNS; the rate limit is lifted
  (this measures capacity; the quota is applied in the estimate). ``notification_budget_seconds`` is
  ``--budget`` (5 s), so shards continue themselves many times a run, as a large shard does on AWS,
  and a page is ``--page-size`` (25; production 100) customers, so that a run ends near its time.
- **Timing**: the workers start and wait; the planner queues the shards; each worker works until
  ``--seconds`` have passed (checked between messages), then reports what it notified and when it
  finished its last message. Two rates are printed: the messages the fake sender accepted within the
  ``--seconds`` window (the same window for 1, 2 and 4 workers), and the customers notified / (the
  last worker's last finish - planning), which counts the end of the run against more workers (a
  worker finishes the message it holds, up to a budget after the window, while the others idle).
  The CPU time of the moto server (from /proc) and of the workers (``time.process_time``) is printed
  a notification.
  The runs for 1, 2 and 4 workers take customers from the same pending set (each run notifies a few
  thousand of them; every customer is notified once at most), with the queue purged between runs.
- **Calls**: every worker counts its DynamoDB and SQS calls with botocore's ``before-call`` hook
  (receives that found no message, polling an empty queue, are counted apart). The planner's calls
  are counted in this process. The same is measured at a second size (a fifth of the customers
  pending, the rest of the profiles idle) on a fresh moto server.

Why one thread a worker by default: a worker's throughput is then bound by the sender's latency, as
a quota-limited Lambda's is, rather than by the moto server (one Python process under the GIL on a
small shared machine), which would otherwise be what 2 and 4 workers measure. The estimate for AWS
uses the measured time per notification of one thread and the production threads per worker.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUOTAS = (14, 50, 200)
AT = datetime(2026, 6, 1, 7, 0, tzinfo=timezone.utc)  # 10:00 in Helsinki: inside the window
TARGET = 100_000  # the number of notifications to estimate


# ------------------------------------------------------------------------------------------------
# The moto server (a process of its own)


def _index_moto() -> None:
    """Make moto's Query of a global secondary index read what DynamoDB reads: the index partition
    asked for, from the query's start on, rather than every item of the table (moto walks them all,
    then sorts what matched: a page of a 6,000-customer shard cost the stand-in 50 ms).

    The bench's server keeps each such index as DynamoDB does: a partition per hash-key value, its
    entries in the order moto's own sort gives (the attributes ``Table._generate_attr_to_sort_by``
    names; indexes whose key attributes are all strings, as the portal's are), kept up to date by
    every write (PutItem, UpdateItem, DeleteItem, and so transactions and batches too). A Query of
    one partition hands moto's unchanged Query code only that partition's items; when the query has
    no range-key condition, just the ones from its ExclusiveStartKey on, up to one past its Limit.
    moto's code still does all the rest on them: the hash and range checks, the order, the limit,
    the filter, the LastEvaluatedKey (tests/integration/test_bench_sweep_server.py compares the
    pages with unchanged moto's)."""
    import inspect
    from bisect import bisect_left

    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    lock = threading.RLock()
    local = threading.local()
    # (table, index name) -> {hash value: [(sort key, item key), ...] in moto's order}; an entry is
    # current while the item's place (below) is still (hash value, sort key), else it is skipped
    partitions: dict[tuple[int, str], dict[str, list]] = {}
    places: dict[tuple[int, str], dict] = {}  # (table, index name) -> {item key: (hash value, sort key)}
    orders: dict[int, dict] = {}  # table -> {index name: (hash-key attribute, moto's sort attributes)}
    original = {"query": Table.query, "put": Table.put_item, "delete": Table.delete_item,
                "all": Table.all_items, "update": DynamoDBBackend.update_item}
    query_parameters = inspect.signature(Table.query)

    def orders_of(table) -> dict:
        found = orders.get(id(table))
        if found is None:
            types = {d["AttributeName"]: d["AttributeType"] for d in table.attr}
            found = {}
            for index in table.global_indexes:
                hash_keys = [k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH"]
                range_keys = [k["AttributeName"] for k in index.schema if k["KeyType"] == "RANGE"]
                ranges = (range_keys + [table.range_key_attr] if range_keys
                          else [table.range_key_attr or table.hash_key_attr, table.range_key_attr])
                order = table._generate_attr_to_sort_by(hash_keys + [table.hash_key_attr], ranges)
                if len(hash_keys) == 1 and all(types.get(a) == "S" for a in order + range_keys):
                    found[index.name] = (hash_keys[0], order)
            orders[id(table)] = found
        return found

    def place(table, key) -> None:
        """Put the item with ``key`` (hash key, range key) where it now is in each index."""
        item = table.get_item(*key)
        with lock:
            for name, (_, order) in orders_of(table).items():
                where = places.setdefault((id(table), name), {})
                values = [item.attrs.get(a) for a in order] if item is not None else [None]
                if any(v is None or v.type != "S" for v in values):
                    where.pop(key, None)  # not in this (sparse) index: its entry is no longer current
                    continue
                spot = (values[0].value, tuple(v.value for v in values))
                if where.get(key) == spot:
                    continue
                where[key] = spot
                entries = partitions.setdefault((id(table), name), {}).setdefault(spot[0], [])
                at = bisect_left(entries, (spot[1],))
                if at == len(entries) or entries[at][0] != spot[1]:
                    entries.insert(at, (spot[1], key))

    def put_item(self, *args, **kwargs):
        item = original["put"](self, *args, **kwargs)
        place(self, (item.hash_key, item.range_key))
        return item

    def delete_item(self, hash_key, range_key=None, *args, **kwargs):
        try:
            return original["delete"](self, hash_key, range_key, *args, **kwargs)
        finally:
            place(self, (hash_key, range_key))

    def update_item(self, table_name, key, *args, **kwargs):
        # An update changes the item in place: it may have entered, left or moved in an index.
        table = self.get_table(table_name)
        try:
            return original["update"](self, table_name, key, *args, **kwargs)
        finally:
            hash_key = DynamoType(key[table.hash_key_attr])
            range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
            place(table, (hash_key, range_key))

    def all_items(self):
        override = getattr(local, "override", None)
        if override is not None and override[0] is self:
            return iter(override[1])
        return original["all"](self)

    def read(table, name: str, value: str, call: dict) -> list:
        """The partition's current items that moto's loop would look at, in its order (all of them
        when the query's start or conditions need moto's own comparisons)."""
        entries = partitions.get((id(table), name), {}).get(value, [])
        where = places.get((id(table), name), {})
        order = orders_of(table)[name][1]
        forward = call.get("scan_index_forward", True) is not False
        start = call.get("exclusive_start_key")
        placed = not start or all(isinstance(start.get(a), dict) and "S" in start[a] for a in order)
        whole = not placed or bool(call.get("range_comparison") or call.get("filter_kwargs")
                                   or call.get("range_key_conditions"))
        limit = None if whole else call.get("limit")
        if start and not whole:
            mark = tuple(start[a]["S"] for a in order)
            at = bisect_left(entries, (mark,))  # the first entry at or after the start (sort keys are unique)
            if forward:
                positions = range(at + 1 if at < len(entries) and entries[at][0] == mark else at, len(entries))
            else:
                positions = range(at - 1, -1, -1)
        else:
            positions = range(len(entries)) if forward else range(len(entries) - 1, -1, -1)
        found, stale = [], []
        for at in positions:
            sort_key, key = entries[at]
            if where.get(key) != (value, sort_key):
                stale.append(at)  # the item left this place: its entry goes
                continue
            found.append(table.get_item(*key))
            if limit and len(found) > limit:  # one more: moto's LastEvaluatedKey says the page was full
                break
        for at in sorted(stale, reverse=True):
            del entries[at]
        return found

    def query(self, *args, **kwargs):
        call = query_parameters.bind(self, *args, **kwargs).arguments
        name, conditions = call.get("index_name"), call.get("hash_key_conditions") or []
        indexed = orders_of(self).get(name) if name else None
        if (indexed is None or len(conditions) != 1 or conditions[0][0] != indexed[0]
                or conditions[0][1].type != "S"):
            return original["query"](self, *args, **kwargs)
        with lock:
            local.override = (self, read(self, name, conditions[0][1].value, call))
        try:
            return original["query"](self, *args, **kwargs)
        finally:
            local.override = None

    Table.query, Table.put_item, Table.delete_item, Table.all_items = query, put_item, delete_item, all_items
    DynamoDBBackend.update_item = update_item


# The data-plane calls whose answers the bench's moto server writes with json.dumps (below).
_FAST_ANSWERS = {"Query", "UpdateItem", "GetItem", "PutItem", "DeleteItem", "BatchWriteItem", "BatchGetItem"}


def _fast_dynamodb_answers() -> None:
    """moto parses every DynamoDB request and builds every answer with its generic, model-driven
    parser and serializer, which cost more CPU than the rest of the request together. DynamoDB's
    JSON protocol carries these calls' input and output structures as plain JSON, which is what
    moto's own handler takes and returns (DynamoDB-typed values): the bench's server loads and dumps
    them directly. Errors and every other call go the usual way."""
    from moto.dynamodb.responses import DynamoHandler, DynamoResult

    original = DynamoHandler.serialized

    def serialized(self, action_result):
        if isinstance(action_result, DynamoResult) and self._get_action() in _FAST_ANSWERS \
                and isinstance(action_result.result, dict):
            headers = dict(self.response_headers)
            headers["Content-Type"] = "application/x-amz-json-1.0"
            return 200, headers, json.dumps(action_result.result)
        return original(self, action_result)

    original_parse = DynamoHandler.parse_parameters

    def parse_parameters(self, request):
        # The same calls' requests are plain JSON too (no binary attributes here): read them as such
        # rather than through moto's model-driven parser.
        if self._get_action() in _FAST_ANSWERS:
            self.params = json.loads(request.data)
        else:
            original_parse(self, request)

    DynamoHandler.serialized = serialized
    DynamoHandler.parse_parameters = parse_parameters


def _fast_expressions() -> None:
    """moto parses an UpdateItem's expression twice (the handler's check of the names and values
    used, then the update itself) and its validator walks the tree ten times, building at every node
    its processor's map of node classes anew and asking ``isinstance`` of abstract classes
    (ABCMeta's slow path): a conditional update of ten actions cost the stand-in 6 ms. The bench's
    server parses each distinct update expression once (both callers only read the tree: the
    validator works on a deep copy) and walks it with each processor's map built once a walk and the
    class a node type matches remembered: the same processors on the same nodes in the same order.
    The validator's copy of the tree and its count of clauses cost less (see below), and a condition
    or filter expression's tokens (which depend on its text only) are read once per text, each parse
    getting fresh token nodes. moto's own code does every step
    (tests/integration/test_bench_sweep_server.py compares the answers with unchanged moto's)."""
    from collections import deque
    from functools import lru_cache

    import copy
    import pickle

    from moto.dynamodb.comparisons import ConditionExpressionParser
    from moto.dynamodb.parsing import validators
    from moto.dynamodb.parsing.ast_nodes import DepthFirstTraverser, Node
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser
    from moto.dynamodb.parsing.validators import ActionCountValidator

    parse = lru_cache(maxsize=1024)(UpdateExpressionParser.make.__func__)
    UpdateExpressionParser.make = classmethod(lambda cls, expression: parse(cls, expression))

    lex = ConditionExpressionParser._lex_condition_expression

    @lru_cache(maxsize=1024)
    def tokens(expression: str) -> tuple:
        parser = ConditionExpressionParser(expression, {}, {})
        return tuple(tuple(node) for node in lex(parser))

    def lex_condition_expression(self):
        return deque(self.Node(nonterminal, kind, text, value, list(children))
                     for nonterminal, kind, text, value, children in tokens(self.condition_expression))

    ConditionExpressionParser._lex_condition_expression = lex_condition_expression

    is_node: dict[type, bool] = {}
    matched: dict[tuple[type, type], type | None] = {}  # (processor, node type) -> the map's first class it is

    def traverse(self, root):
        mapping = self._processing_map()

        def visit(node, child_id=-1):
            kind = type(node)
            if kind not in is_node:
                is_node[kind] = isinstance(node, Node)
            if not is_node[kind]:
                return node
            parent_node = node.parent
            if node.children is not None:
                for i, child in enumerate(node.children):
                    self.pre_processing_of_child(node, i)
                    visit(child, i)
            memo = (type(self), kind)
            if memo not in matched:
                matched[memo] = next((cls for cls in mapping if isinstance(node, cls)), None)
            if matched[memo] is not None:
                node = mapping[matched[memo]](node)
                node.parent = parent_node
                if parent_node:
                    parent_node.children[child_id] = node
            return node

        return visit(root)

    DepthFirstTraverser.traverse = traverse

    # The validator's first walk counts each kind of clause below every node of the tree (moto's
    # ``find_clauses`` again from each node: quadratic). That walk changes nothing, so within it a
    # node's clauses are remembered; the counts, and so the first error, are the same.
    counted = threading.local()
    find_clauses = Node.find_clauses

    def remembered_clauses(self, clause_types):
        memo = getattr(counted, "memo", None)
        if memo is None:
            return find_clauses(self, clause_types)
        key = (id(self), tuple(clause_types))
        if key not in memo:
            memo[key] = find_clauses(self, clause_types)
        return memo[key]

    def count_actions(self, root):
        counted.memo = {}
        try:
            return traverse(self, root)
        finally:
            counted.memo = None

    Node.find_clauses = remembered_clauses
    ActionCountValidator.traverse = count_actions

    # The validator works on a deep copy of the parsed (now shared) tree; copying a pickled copy of
    # it is the same copy at a fraction of ``copy.deepcopy``'s cost.
    pickled: dict[int, tuple] = {}  # id(tree) -> (tree, its pickle): the tree is kept, so its id is too

    def copy_tree(value, memo=None):
        if memo is None and isinstance(value, Node):
            found = pickled.get(id(value))
            if found is None or found[0] is not value:
                found = pickled[id(value)] = (value, pickle.dumps(value, pickle.HIGHEST_PROTOCOL))
            return pickle.loads(found[1])
        return copy.deepcopy(value, memo)

    validators.deepcopy = copy_tree


def _item_backups() -> None:
    """moto backs up every table a TransactWriteItems names with a deep copy of the whole table (to
    roll back a cancelled transaction), so each transaction cost the stand-in time in proportion to
    the table (half a second a page at 8,000 profiles); DynamoDB's cost follows the items written.
    The bench's server backs up only the items the transaction names, and puts them back if moto
    cancels it: the same outcome, moto's own code deciding every condition."""
    import copy
    import types

    import moto.dynamodb.models as models
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    def deepcopy(value, memo=None):
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    models.copy = types.SimpleNamespace(deepcopy=deepcopy, copy=copy.copy)  # moto's whole-table backup: none
    original = models.DynamoDBBackend.transact_write_items

    def transact_write_items(self, transact_items):
        saved = []
        for entry in transact_items:
            _, op = next(iter(entry.items()))
            table = self.tables.get(op.get("TableName"))
            if table is None:
                continue
            key = op.get("Key") or {name: op["Item"][name] for name in (table.hash_key_attr, table.range_key_attr)
                                    if name}
            hash_key = DynamoType(key[table.hash_key_attr])
            range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
            item = table.get_item(hash_key, range_key)
            saved.append((table, hash_key, range_key, copy.deepcopy(item.to_json()["Attributes"]) if item else None))
        try:
            return original(self, transact_items)
        except Exception:
            for table, hash_key, range_key, attributes in reversed(saved):
                if table.get_item(hash_key, range_key) is not None:
                    table.delete_item(hash_key, range_key)
                if attributes is not None:
                    table.put_item(attributes)
            raise

    models.DynamoDBBackend.transact_write_items = transact_write_items


def _route_once() -> None:
    """moto's dispatcher works out which service a request is for on every request (it walks its
    list of modules and the file system, and reads the body); AWS's endpoint is the service. The
    bench's server remembers the answer per service and region of the request's signature."""
    from functools import lru_cache

    import moto.core.responses
    from moto.core.utils import method_names_from_class
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    original = DomainDispatcherApplication.get_application
    known: dict[str, object] = {}
    # The same for the handler's method names, which moto lists with ``inspect.getmembers`` on every
    # request to see whether the action is one of them.
    moto.core.responses.method_names_from_class = lru_cache(maxsize=None)(
        lambda clazz: frozenset(method_names_from_class(clazz)))

    def get_application(self, environ):
        auth = environ.get("HTTP_AUTHORIZATION", "")
        scope = auth.split("Credential=", 1)[1].split(",", 1)[0].split("/", 2)[-1] if "Credential=" in auth else ""
        if not scope or not environ.get("PATH_INFO", "/") == "/":
            return original(self, environ)
        app = known.get(scope)
        if app is None:
            app = known[scope] = original(self, environ)
        return app

    DomainDispatcherApplication.get_application = get_application


def _keep_alive_handler():
    """werkzeug's development server closes the connection after every response (its comment: the
    standard library's server cannot drain an unread body), so every AWS call of every worker opened
    a TCP connection and the server started a thread for it. DynamoDB and SQS keep HTTPS connections
    open and botocore reuses them: the bench's server does too. moto reads every request's body
    (JSON and form bodies, Content-Length), so nothing is left unread on the connection, and the
    server's after-response drain of unread bytes (which would swallow the next request on a kept
    connection) is switched off."""
    import types

    import werkzeug.serving
    from moto.moto_server.werkzeug_app import MotoRequestHandler

    class NothingToDrain:
        def register(self, *_):
            pass

        def select(self, timeout=None):
            return []

        def close(self):
            pass

    werkzeug.serving.selectors = types.SimpleNamespace(DefaultSelector=NothingToDrain,
                                                       EVENT_READ=werkzeug.serving.selectors.EVENT_READ)

    class KeepAliveHandler(MotoRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self):
            super().setup()
            # Headers and body are separate writes: without this, Nagle's algorithm and the client's
            # delayed ACK hold every answer on a kept connection back by 40 ms.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def send_header(self, keyword, value):
            if keyword.lower() == "connection" and value.lower() == "close":
                return
            super().send_header(keyword, value)

    return KeepAliveHandler


def serve_moto(port: int) -> None:
    import logging

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    _index_moto()
    _fast_dynamodb_answers()
    _fast_expressions()
    _item_backups()
    _route_once()
    server = make_server("127.0.0.1", port, DomainDispatcherApplication(create_backend_app), threaded=True,
                         request_handler=_keep_alive_handler())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    print("ready", flush=True)
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    server.shutdown()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class MotoServer:
    def __init__(self):
        self.port = _free_port()
        self.process = subprocess.Popen([sys.executable, __file__, "serve-moto", str(self.port)],
                                        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert self.process.stdout.readline().strip() == "ready"

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)

    def cpu_seconds(self) -> float:
        """CPU the moto server has used (user + system), from /proc."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# ------------------------------------------------------------------------------------------------
# Environment, calls, the fake sender


def environment(moto_port: int, **overrides) -> dict[str, str]:
    from scripts.local_stack import local_environment

    env = local_environment(moto_port)
    env.update({
        "PORTAL_NOTIFICATION_SETTLE_SECONDS": "0",
        "PORTAL_NOTIFICATION_RATE_PER_SECOND": "1000000",  # capacity: the quota is applied in the estimate
    })
    env.update({k: str(v) for k, v in overrides.items()})
    return env


class Calls:
    """AWS calls by service and operation (botocore ``before-call``); receives that found nothing apart."""

    def __init__(self):
        self.calls: Counter = Counter()
        self.seconds: Counter = Counter()  # time waited for the answers, by service
        self.empty_receives = 0
        self._lock = threading.Lock()
        self._started = threading.local()

    def before(self, model=None, **_):
        self._started.at = time.perf_counter()
        with self._lock:
            self.calls[f"{model.service_model.service_name}:{model.name}"] += 1

    def after(self, model=None, parsed=None, **_):
        took = time.perf_counter() - getattr(self._started, "at", time.perf_counter())
        with self._lock:
            if model is not None and model.name == "ReceiveMessage" and not (parsed or {}).get("Messages"):
                self.empty_receives += 1
                self.calls["sqs:ReceiveMessage"] -= 1
            else:
                self.seconds[model.service_model.service_name if model is not None else "?"] += took

    def watch(self, *clients):
        for client in clients:
            client.meta.events.register("before-call", self.before)
            client.meta.events.register("after-call", self.after)


def _model_clients() -> list:
    from tests.dynamo_calls import _clients

    return _clients()


class FakeSender:
    """Accepts every message after ``latency`` seconds (no AWS call)."""

    def __init__(self, latency: float):
        self.latency = latency
        self.sent = 0
        self.times: list[float] = []  # when each message was accepted (time.time())
        self._lock = threading.Lock()

    def _send(self):
        time.sleep(self.latency)
        with self._lock:
            self.sent += 1
            self.times.append(time.time())

    def send_email(self, to, email, language):
        self._send()

    def send_sms(self, phone, text):
        self._send()


# ------------------------------------------------------------------------------------------------
# A worker (a process of its own)


def worker(moto_port: int, latency: float, seconds: float, go_file: str) -> None:
    """Wait for ``go_file``, then take messages until ``seconds`` after it appeared; print a report."""
    from chalicelib.clients import client
    from chalicelib.notifications import fanout

    sqs = client("sqs")
    url = fanout.queue_url()
    calls = Calls()
    calls.watch(sqs, *_model_clients())
    sender = FakeSender(latency)
    print("ready", flush=True)
    while not os.path.exists(go_file):
        time.sleep(0.01)
    started = float(Path(go_file).read_text())
    cpu = time.process_time()
    notified = messages = 0
    last_finish = started
    while time.time() < started + seconds:
        received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, WaitTimeSeconds=1).get("Messages", [])
        for message in received:
            report = fanout.work(message["Body"], sender=sender)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            notified += report.notified
            messages += 1
            last_finish = time.time()
    cpu = time.process_time() - cpu
    print(json.dumps({"notified": notified, "sent": sender.sent, "messages": messages, "last_finish": last_finish,
                      "cpu": cpu, "in_window": sum(1 for t in sender.times if t <= started + seconds),
                      "calls": dict(calls.calls), "call_seconds": dict(calls.seconds),
                      "empty_receives": calls.empty_receives}), flush=True)


# ------------------------------------------------------------------------------------------------
# Set-up and runs (this process)


def write_customers(pending: int, profiles: int, batch_threads: int = 4) -> float:
    """``profiles`` profiles, the first ``pending`` of them with one unseen status change (a folder
    item the City marked received an hour ago). Returns the seconds it took."""
    from chalicelib.models.forms import SubmissionModel
    from chalicelib.models.identity import ProfileModel

    now = datetime.now(timezone.utc)
    changed = now - timedelta(hours=1)
    started = time.perf_counter()

    def write(first: int, last: int):
        with ProfileModel.batch_write() as batch:
            for n in range(first, last):
                profile_id = uuid.uuid4().hex
                profile = ProfileModel(
                    profile_id=profile_id, kind="person", given_name="Testi", family_name="Asiakas",
                    personal_identity_code="210281-9988", email=f"p{n}@example.fi", notify_methods=["email"],
                    notify_language=("fi", "sv", "en")[n % 3], consent_at=now, created_at=now, updated_at=now)
                if n < pending:
                    profile.notify_shard = profile_id[-1]
                    profile.notify_pending_since = changed
                    profile.notify_latest_at = changed
                    profile.notify_changes = 1
                    submissions.append((n, profile_id))
                batch.save(profile)

    def write_items(chunk):
        with SubmissionModel.batch_write() as batch:
            for n, profile_id in chunk:
                number = f"{n + 1:07d}"
                batch.save(SubmissionModel(
                    item_number=number, owner_id=profile_id, sender_id=profile_id, sent_by="Testi Asiakas",
                    service_id="dog-declaration", division_id="urban-environment", status="received",
                    status_at=changed, answers={}, language="fi", created_at=changed, updated_at=changed,
                    updated_sort=f"{changed.isoformat()}#{number}", unseen_since=changed, city_changed_at=changed))

    submissions: list = []
    step = math.ceil(profiles / batch_threads)
    threads = [threading.Thread(target=write, args=(i, min(profiles, i + step))) for i in range(0, profiles, step)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    step = math.ceil(len(submissions) / batch_threads) or 1
    threads = [threading.Thread(target=write_items, args=(submissions[i:i + step],))
               for i in range(0, len(submissions), step)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def timed_run(server: "MotoServer", workers: int, args) -> dict:
    """Start ``workers`` worker processes, plan, let them work ``args.seconds``; what they did."""
    from chalicelib.clients import client
    from chalicelib.notifications import fanout

    moto_port = server.port
    env = {**os.environ, **environment(moto_port, PORTAL_NOTIFICATION_WORKERS=args.threads,
                                       PORTAL_NOTIFICATION_BUDGET_SECONDS=args.budget,
                                       PORTAL_NOTIFICATION_PAGE_SIZE=args.page_size), "PYTHONPATH": str(ROOT)}
    go = Path(f"/tmp/bench-sweep-go-{uuid.uuid4().hex}")
    processes = [subprocess.Popen([sys.executable, __file__, "worker", str(moto_port), str(args.latency),
                                   str(args.seconds), str(go)], stdout=subprocess.PIPE, text=True, env=env)
                 for _ in range(workers)]
    try:
        for process in processes:
            assert process.stdout.readline().strip() == "ready"
        planner_calls = Calls()
        planner_calls.watch(client("sqs"))
        moto_cpu = server.cpu_seconds()
        started = time.time()
        ready = go.with_suffix(".tmp")
        ready.write_text(repr(started))
        ready.rename(go)  # at once: a worker never reads a half-written file
        plan = fanout.plan(at=AT)
        assert plan.shards == 16
        planned_calls = Counter(planner_calls.calls)
        for client_ in [client("sqs")]:
            client_.meta.events.unregister("before-call", planner_calls.before)
            client_.meta.events.unregister("after-call", planner_calls.after)
        reports = [json.loads(process.stdout.readline()) for process in processes]
        moto_cpu = server.cpu_seconds() - moto_cpu
        for process in processes:
            process.wait(timeout=60)
    finally:
        go.unlink(missing_ok=True)
        for process in processes:
            if process.poll() is None:
                process.kill()
    empty_queue()  # what is left waits for "the next hour"
    notified = sum(r["notified"] for r in reports)
    elapsed = max(r["last_finish"] for r in reports) - started
    calls: Counter = planned_calls
    call_seconds: Counter = Counter()
    for report in reports:
        calls.update(report["calls"])
        call_seconds.update(report["call_seconds"])
    in_window = sum(r["in_window"] for r in reports)
    return {"workers": workers, "notified": notified, "seconds": elapsed, "rate": notified / elapsed,
            "in_window": in_window, "window_rate": in_window / args.seconds,
            "messages": sum(r["messages"] for r in reports), "calls": calls, "call_seconds": call_seconds,
            "moto_cpu": moto_cpu, "worker_cpu": sum(r["cpu"] for r in reports),
            "empty_receives": sum(r["empty_receives"] for r in reports)}


def empty_queue() -> None:
    """Delete every message left in the queue (PurgeQueue may run once a minute only)."""
    from chalicelib.clients import client
    from chalicelib.notifications import fanout

    sqs, url = client("sqs"), fanout.queue_url()
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        sqs.delete_message_batch(QueueUrl=url, Entries=[
            {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(messages)])


def size(pending: int, profiles: int, worker_counts: list[int], args) -> dict:
    """A fresh moto server with ``profiles`` profiles, ``pending`` of them pending; the timed runs."""
    server = MotoServer()
    try:
        os.environ.update(environment(server.port))
        from chalicelib.clients import client
        from chalicelib.config import settings
        from chalicelib.models import create_tables
        from chalicelib.models.base import connection
        from chalicelib.notifications import fanout

        settings.cache_clear()
        client.cache_clear()
        connection.cache_clear()
        create_tables()
        os.environ["PORTAL_NOTIFICATION_QUEUE_URL"] = fanout.create_queues()  # as the CDK app sets it
        settings.cache_clear()
        print(f"  writing {profiles:,} profiles ({pending:,} pending) to moto ...", flush=True)
        written = write_customers(pending, profiles)
        print(f"  written in {written:.0f} s", flush=True)
        runs = []
        for workers in worker_counts:
            run = timed_run(server, workers, args)
            print(f"  {workers} worker(s): {run['notified']:,} notified in {run['seconds']:.1f} s", flush=True)
            runs.append(run)
        return {"pending": pending, "profiles": profiles, "write_seconds": written, "runs": runs}
    finally:
        server.stop()


def per_notification(run: dict) -> dict[str, float]:
    return {op: n / run["notified"] for op, n in sorted(run["calls"].items()) if n}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pending", type=int, default=TARGET, help="pending customers (and profiles) of the main size")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long each timed run works")
    parser.add_argument("--threads", type=int, default=1, help="threads in each worker (PORTAL_NOTIFICATION_WORKERS)")
    parser.add_argument("--latency", type=float, default=0.050, help="the fake sender's seconds a message")
    parser.add_argument("--budget", type=float, default=5.0, help="a worker's budget a message (continuations)")
    parser.add_argument("--page-size", type=int, default=25,
                        help="customers a worker reads a page (production: 100); small pages end a run near its time")
    parser.add_argument("--workers", default="1,2,4")
    args = parser.parse_args()
    worker_counts = [int(n) for n in args.workers.split(",")]

    import logging

    logging.getLogger("portal").setLevel(logging.WARNING)
    from chalicelib.config import Settings

    production_threads = Settings.model_fields["notification_workers"].default
    print(f"Fanned-out notification sweep against a moto server. Fake sender: {args.latency * 1000:.0f} ms a "
          f"message. Workers: separate processes, {args.threads} thread(s) each, {args.seconds:.0f} s a run, "
          f"budget {args.budget:.0f} s a message, pages of {args.page_size}.")
    print(f"\nMain size: {args.pending:,} pending customers, {args.pending:,} profiles")
    main_size = size(args.pending, args.pending, worker_counts, args)
    second_pending = max(1000, args.pending // 5)
    print(f"\nSecond size: {second_pending:,} pending customers, {args.pending:,} profiles")
    second = size(second_pending, args.pending, [1], args)

    runs = main_size["runs"]
    one = runs[0]
    print(f"\n{'workers':>8} {'in window':>10} {'notif./s':>9} {'x one':>6} {'notified':>9} {'to last finish':>15} "
          f"{'notif./s':>9} {'x one':>6} {'messages':>9} {'wait moto ms/n':>15} {'moto CPU ms/n':>14} "
          f"{'worker CPU ms/n':>16} {'moto busy':>10}")
    for run in runs:
        wait = sum(run["call_seconds"].values()) / run["notified"] * 1000
        print(f"{run['workers']:>8} {run['in_window']:>10,} {run['window_rate']:>9.1f} "
              f"{run['window_rate'] / one['window_rate']:>6.2f} {run['notified']:>9,} {run['seconds']:>13.1f} s "
              f"{run['rate']:>9.1f} {run['rate'] / one['rate']:>6.2f} {run['messages']:>9} {wait:>15.0f} "
              f"{run['moto_cpu'] / run['notified'] * 1000:>14.1f} {run['worker_cpu'] / run['notified'] * 1000:>16.1f} "
              f"{run['moto_cpu'] / run['seconds']:>9.0%}")
    print(f"(in window: messages the workers' sender accepted within the run's {args.seconds:.0f} s, the same window "
          "for every number of workers; to last finish: customers notified / the time until the last worker finished "
          "its last queue message (a worker finishes the message it holds at the end, up to a budget later, and the "
          "others wait for it); wait moto: what a worker waited for DynamoDB and SQS answers a notification; moto "
          "CPU, worker CPU: what the moto server process and the worker processes used a notification; moto busy: "
          "its CPU time / the run's time, 100% = one core)")
    if 4 in worker_counts:
        four = runs[worker_counts.index(4)]
        print(f"4 workers / 1 worker: {four['window_rate'] / one['window_rate']:.2f}x in the window, "
              f"{four['rate'] / one['rate']:.2f}x to the last finish (goal: at least 3x)")

    print("\nAWS calls per notification (DynamoDB and SQS; the planner's included; receives that found an "
          "empty queue are polling, not work, and are left out):")
    sizes = [(main_size, run) for run in runs] + [(second, second["runs"][0])]
    operations = sorted({op for _, run in sizes for op, n in run["calls"].items() if n})
    header = f"{'pending':>8} {'profiles':>9} {'workers':>8} " + " ".join(f"{op.split(':')[1]:>18}" for op in operations)
    print(header + f" {'total':>7}")
    for setup, run in sizes:
        rates = per_notification(run)
        print(f"{setup['pending']:>8,} {setup['profiles']:>9,} {run['workers']:>8} "
              + " ".join(f"{rates.get(op, 0):>18.3f}" for op in operations) + f" {sum(rates.values()):>7.3f}")

    # From one thread's measured time per notification (one worker, one thread: the sender's
    # latency and the calls' round trips), the production worker's capacity and 100,000 at a quota.
    seconds_each = one["seconds"] * args.threads / one["notified"]
    waited = {service: t / one["notified"] for service, t in one["call_seconds"].items()}
    capacity = production_threads / seconds_each
    print(f"\nMeasured with 1 worker: {seconds_each * 1000:.0f} ms of work a notification a thread: the sender "
          f"{args.latency * 1000:.0f} ms, waiting for moto's answers "
          + ", ".join(f"{service} {t * 1000:.0f} ms" for service, t in sorted(waited.items()))
          + f", the rest in the portal's code; a worker of {production_threads} threads (production) can send "
          f"{capacity:.0f} a second at that pace.")
    print(f"\n{TARGET:,} notifications at a quota (SES e-mails / SNS texts a second):")
    print(f"{'quota/s':>8} {'workers needed':>15} {'minutes':>8}  within the hour?")
    for quota in QUOTAS:
        workers_needed = max(2, math.ceil(quota / capacity))
        minutes = TARGET / quota / 60
        print(f"{quota:>8} {workers_needed:>15} {minutes:>8.1f}  {'yes' if minutes <= 60 else 'no'}")
    print("(workers needed: notification_worker_concurrency, at least 2; the rate a worker may use is "
          "quota / concurrency)")
    for setup in (main_size, second):
        print(f"set-up: {setup['profiles']:,} profiles and {setup['pending']:,} folder items written in "
              f"{setup['write_seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "serve-moto":
        serve_moto(int(sys.argv[2]))
    elif len(sys.argv) > 1 and sys.argv[1] == "worker":
        port = int(sys.argv[2])
        os.environ.update(environment(port))  # (the parent set the rest of the environment)
        worker(port, float(sys.argv[3]), float(sys.argv[4]), sys.argv[5])
    else:
        sys.exit(main())
