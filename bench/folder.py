"""The folder at organisation scale: what one folder page costs with 10, 500 and 20,000 items of one owner.

    PYTHONPATH=. .venv/bin/python bench/folder.py [--rounds 60] [--sizes 10,500,20000]

moto runs as a server in its own process (``moto_server``), so the CPU measured here is the portal's
only: the portal is served in this process, one API Gateway event at a time through ``app.app`` as
Lambda would (bench/cold_start.py does the same for one cold request). The items are written in
batches (tests/folder_items.py: as sending writes them, with the folder's count and the alphabetical
keys), five drafts per owner. For each folder size and each page (page 1, a middle page and the last
page, sorted by last update and alphabetically in Finnish, and a search by item number), measured warm:

- round trips: DynamoDB calls of the request (the session's GetItem included);
- items read: what DynamoDB read for the folder (a Query's ScannedCount, a GetItem's item), the
  session's table left out; goal: at most 11 + the drafts shown (ten items, the count, the drafts);
- CPU: the median over ``--rounds`` requests of this process's CPU time (user + system) for the request;
  goal: 20,000 items / 10 items at most 1.2 for every page.

A middle page is reached as a person reaches it, by the link of its neighbour (its cursor); the bench
builds that link from the neighbouring item's keys (read once, before measuring).
"""
from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DRAFTS = 5
SERVICES = ["dog-declaration", "referee-fee", "arts-and-culture-grants", "terrace-permit", "library-card"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_moto(port: int) -> subprocess.Popen:
    server = subprocess.Popen([str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return server
        time.sleep(0.05)
    server.kill()
    raise SystemExit("moto_server did not start")


def _event(path: str, query: dict[str, str], cookie: str) -> dict:
    return {"resource": path, "path": path, "httpMethod": "GET",
            "headers": {"Host": "portal.example", "Cookie": cookie},
            "multiValueHeaders": {"Host": ["portal.example"], "Cookie": [cookie]},
            "queryStringParameters": query or None,
            "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} or None,
            "pathParameters": None, "stageVariables": None, "body": None, "isBase64Encoded": False,
            "requestContext": {"resourcePath": path, "httpMethod": "GET", "path": f"/api{path}", "stage": "api",
                               "requestId": "bench-folder"}}


def _owner(n: int) -> tuple[str, str]:
    """A registered person with a session: (profile id, cookie)."""
    from chalicelib.identity.claims import Identity
    from chalicelib.identity.profiles import ContactForm, register
    from chalicelib.sessions import create_session

    # Test personal identity codes (individual numbers 900-999 are for testing), one per folder.
    digits = f"0101{70 + n % 30:02d}9{n % 100:02d}"
    check = "0123456789ABCDEFHJKLMNPRSTUVWXY"[int(digits) % 31]
    identity = Identity(customer="personal", method="bank", given_name="Penkki", family_name=f"Testaaja{n}",
                        personal_identity_code=f"{digits[:6]}-{digits[6:]}{check}")
    profile_id = register(identity, ContactForm(email=f"penkki{n}@example.fi", methods=("email",), language="fi",
                                                consent=True))
    return profile_id, "sid=" + create_session(identity, profile_id)[0]


def _cursor(owner: str, sort: str, position: int, page: int) -> str:
    """The link of page ``page``'s neighbour before it: the cursor after the row at ``position`` (0-based)."""
    from chalicelib.folder import _encode_cursor, _index

    index, range_name, ascending = _index(sort, "fi")
    rows = list(index.query(owner, scan_index_forward=ascending, limit=position + 1, page_size=1000))
    last = rows[position]
    return _encode_cursor({"s": "updated" if sort == "updated" else "name-fi", "k": getattr(last, range_name),
                           "i": last.item_number, "d": "next", "p": page})


def _pages(owner: str, size: int, first_item: int) -> dict[str, dict[str, str]]:
    pages = max(1, -(-size // 10))
    middle = max(1, pages // 2)
    found = {}
    for sort in ("updated", "name"):
        found[f"{sort}, page 1"] = {"sort": sort}
        if middle > 1:
            found[f"{sort}, middle page"] = {"sort": sort, "page": str(middle),
                                             "c": _cursor(owner, sort, (middle - 1) * 10 - 1, middle)}
        else:
            found[f"{sort}, middle page"] = {"sort": sort}
        found[f"{sort}, last page"] = {"sort": sort, "page": str(pages)}
    found["search by number"] = {"q": str(first_item + size // 2)}
    return found


def _count(app, cookie: str, query: dict[str, str]) -> dict:
    """One warm request's round trips and items read (and what it showed)."""
    from tests.dynamo_calls import count_dynamodb_calls

    event = _event("/folder", query, cookie)
    answer = app.app(event, None)  # warm: the caches of this process (templates, catalogue)
    assert answer["statusCode"] == 200, answer
    with count_dynamodb_calls() as calls:
        answer = app.app(event, None)
    shown_items = answer["body"].count("data-item=")
    assert 0 < shown_items <= 10 and (shown_items == 1 or "q" not in query), (query, shown_items)
    return {"event": event, "round_trips": len(calls.calls), "items_read": calls.items_read - calls.session_items,
            "drafts": answer["body"].count("/remove"), "cpu": []}


def _time_rounds(app, measured: list[dict], rounds: int) -> None:
    """The CPU time of each request, the pages of every size taken in turn in each round (so that what
    else the machine does falls on all of them alike); the median is kept."""
    import gc

    for round_number in range(rounds):
        order = measured if round_number % 2 == 0 else measured[::-1]
        gc.collect()
        for cell in order:
            started = time.process_time()
            app.app(cell["event"], None)
            cell["cpu"].append(time.process_time() - started)
    for cell in measured:
        cell["cpu_ms"] = statistics.median(cell["cpu"]) * 1000


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--sizes", default="10,500,20000")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]

    port = _free_port()
    server = _start_moto(port)
    os.environ.update({
        "PORTAL_STAGE": "prod", "PORTAL_TABLE_PREFIX": "eservices-benchfolder-", "PORTAL_ATTACHMENTS_BUCKET": "unused",
        "POWERTOOLS_SERVICE_NAME": "city-eservices", "AWS_DEFAULT_REGION": "eu-north-1", "POWERTOOLS_LOG_LEVEL": "WARNING",
        "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
    })
    try:
        import logging

        logging.disable(logging.INFO)  # no request log line per measured request
        from chalicelib.models import create_tables
        from tests.folder_items import put_drafts, put_items

        create_tables()
        import app

        results: dict[int, dict[str, dict]] = {}
        first_item = 1
        for n, size in enumerate(sizes):
            owner, cookie = _owner(n)
            started = time.perf_counter()
            put_items(owner, size, SERVICES, start=first_item)
            put_drafts(owner, DRAFTS)
            print(f"{size:>6} items written in {time.perf_counter() - started:5.1f} s", file=sys.stderr)
            results[size] = {name: _count(app, cookie, query) for name, query in _pages(owner, size, first_item).items()}
            first_item += size
        _time_rounds(app, [cell for pages in results.values() for cell in pages.values()], args.rounds)
    finally:
        server.terminate()
        server.wait(timeout=10)

    print("middle and last pages: " + ", ".join(f"{size} items: {max(1, -(-size // 10)) // 2 or 1} and {max(1, -(-size // 10))}"
                                                 for size in sizes))
    print(f"Folder pages against moto_server (its own process); CPU of the portal's process, median of {args.rounds} "
          "warm requests.")
    print("Per page: round trips / items read (folder: count + items + drafts) / CPU ms. "
          f"{DRAFTS} drafts shown on every page but the search's.")
    names = list(results[sizes[0]])
    header = f"{'page':<24}" + "".join(f"{f'{size} items':>24}" for size in sizes) + f"{'CPU ratio':>11}"
    print(header)
    print("-" * len(header))
    worst_ratio, over_budget = 0.0, []
    for name in names:
        cells = []
        for size in sizes:
            r = results[size][name]
            cells.append(f"{r['round_trips']:>3} rt {r['items_read']:>4} read {r['cpu_ms']:6.2f} ms")
            if r["items_read"] > 11 + r["drafts"]:
                over_budget.append((size, name, r["items_read"]))
        ratio = results[sizes[-1]][name]["cpu_ms"] / results[sizes[0]][name]["cpu_ms"]
        worst_ratio = max(worst_ratio, ratio)
        print(f"{name:<24}" + "".join(f"{c:>24}" for c in cells) + f"{ratio:>11.2f}")
    print(f"goal: items read per page <= 11 + drafts shown: {'met' if not over_budget else f'NOT met {over_budget}'}")
    print(f"goal: CPU {sizes[-1]} items / {sizes[0]} items <= 1.2: worst {worst_ratio:.2f} "
          f"({'met' if worst_ratio <= 1.2 else 'NOT met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
