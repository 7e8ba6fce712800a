"""app.py pauses the garbage collector while the app is imported and during a process's first
request, and freezes what they built (the cold start: docs/benchmarks.md); after that it collects
as usual. Run in a fresh interpreter: the test process has long made its first request."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CODE = r'''
import gc, json
import app
import chalicelib.handlers.static as static
from chalice.test import Client

facts = {"enabled after import": gc.isenabled(), "frozen after import": gc.get_freeze_count()}
enabled_during = []
static.read_asset = lambda name: enabled_during.append(gc.isenabled())  # the view's first step
frozen = []
with Client(app.app) as client:
    for _ in range(3):
        assert client.http.get("/static/portal.css").status_code == 404
        frozen.append(gc.get_freeze_count())
facts.update({"enabled during": enabled_during, "enabled after": gc.isenabled(), "frozen after each": frozen})
print(json.dumps(facts))
'''


def test_the_collector_is_paused_for_the_imports_and_the_first_request_only():
    done = subprocess.run([sys.executable, "-c", CODE], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "PORTAL_STAGE": "test", "AWS_DEFAULT_REGION": "eu-north-1"})
    assert done.returncode == 0, done.stderr[-3000:]
    facts = json.loads(done.stdout.strip().splitlines()[-1])
    assert facts["enabled after import"] and facts["frozen after import"] > 10_000
    assert facts["enabled during"] == [False, True, True]
    assert facts["enabled after"]
    first, second, third = facts["frozen after each"]
    assert first > facts["frozen after import"]
    assert third <= second <= first, "nothing is frozen after the first request (frozen objects may still be freed)"
