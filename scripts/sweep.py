"""Run the hourly notification sweep now, against the local AWS stack of `make run`: the planner
queues one message per shard on moto's SQS queue, and the queue is drained by the same worker
function that Lambda runs for each message (chalicelib/notifications/fanout.py).

    make sweep                          # as if it were now
    make sweep AT=2026-06-01T10:00      # as if it were 10:00 on 1.6.2026, Helsinki time
    make sweep PORT=8001 MOTO_PORT=5056 # another local stack (python scripts/local_stack.py serve --port ...)
    python scripts/sweep.py --at 2026-06-01T10:00 --moto-port 5055 --port 8000

`make run` must be running (it serves moto on 127.0.0.1:5055 with the tables, the bucket, the
verified SES sender and the notification queue). The sweep uses the local stage's settings
(scripts/local_stack.py `local_environment`); what it "sends" is in moto, shown at
http://localhost:8000/dev/outbox (the portal's port: the links in the messages point there).

AT decides the sending window only (9-20 Helsinki time: outside it the run does nothing); claims
and the settle delay keep using the real clock, so that changes made a moment ago behave as they
would in the real run.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def parse_at(value: str | None) -> datetime | None:
    """ISO date and time in Helsinki time unless it names its own offset."""
    if not value:
        return None
    from chalicelib.clock import HELSINKI

    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise SystemExit(f"AT={value!r}: give a date and time like 2026-06-01T10:00 (Helsinki time)") from None
    return at if at.tzinfo else at.replace(tzinfo=HELSINKI)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--at", default=os.environ.get("AT") or None, help="Helsinki time, e.g. 2026-06-01T10:00")
    parser.add_argument("--moto-port", type=int, default=int(os.environ.get("MOTO_PORT") or 5055),
                        help="the local AWS stack's port (make run: 5055)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT") or 8000),
                        help="the portal's port, for the links in the messages (make run: 8000)")
    args = parser.parse_args()

    from scripts.local_stack import _port_open, local_environment

    if not _port_open("127.0.0.1", args.moto_port):
        print(f"Nothing answers on 127.0.0.1:{args.moto_port}: start the portal with `make run` first "
              "(in another terminal), then run `make sweep` again (MOTO_PORT= names another stack's port).",
              file=sys.stderr)
        return 2
    at = parse_at(args.at)
    os.environ.update(local_environment(args.moto_port, args.port))  # before the settings are first read

    import logging

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("portal").setLevel(logging.WARNING)  # the report below says what happened
    from chalicelib.notifications import run_sweep

    from chalicelib.clients import client
    from chalicelib.config import settings

    try:
        report = run_sweep(at=at)
    except client("sqs").exceptions.QueueDoesNotExist:
        print(f"The local stack on port {args.moto_port} has no notification queue "
              f"({settings().notification_queue_name}): it was started before the queue existed. Restart "
              "`make run`, or create it with `python scripts/local_stack.py setup --moto-port "
              f"{args.moto_port}`.", file=sys.stderr)
        return 2
    print(json.dumps(report.as_dict(), indent=2))
    if not report.window_open:
        print(f"{report.at} is outside 9-20 Helsinki time: nothing was sent; pending notifications wait for 9:00.")
    else:
        print(f"Sent {report.emails} e-mail(s) and {report.texts} text message(s) to {report.notified} customer(s): "
              f"see http://localhost:{args.port}/dev/outbox")
        print(f"{report.shards} queue message(s) worked ({report.continued} continued their shard)"
              + (f"; {report.errors} failed and stay in the queue (see the log above)" if report.errors else ""))
        if report.deferred:
            from chalicelib.config import settings

            print(f"{report.deferred} customer(s) wait for the next run: their latest change is younger than "
                  f"{settings().notification_settle_seconds} s (PORTAL_NOTIFICATION_SETTLE_SECONDS).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
