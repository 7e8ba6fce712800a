"""Cold start: importing the app and rendering the front page, against importing the libraries alone.

Builds the deployment package exactly as the deploy does (infra/package.py: `chalice package`, the
AWS SDK cut to the portal's services, bytecode, precompiled templates, the pickled catalogue), prints
its zipped size, unpacks it and runs, in fresh processes that stand in for Lambda's Python runtime
(infra/runtime.py: only the package and the runtime's AWS SDK on the path, a read-only /var/task),
side by side in one run:

- app:       ``import app`` and one API Gateway event for "/" (a Finnish front page, signed out),
             served against DynamoDB in moto's server on this machine (the announcements are read,
             so the first DynamoDB client is created: it is made just before the event and timed
             apart, which changes nothing in the total);
- libraries: ``import chalice, boto3``, ``from pynamodb.models import Model``,
             ``from pydantic import BaseModel``, ``import jinja2``. (``import pydantic`` and
             ``import pynamodb`` alone load a lazy stub and a version number: the comparison would
             then be with nothing of the libraries the app uses.)

Times are measured inside each process (interpreter start-up excluded), the rounds alternate, and the
medians are compared (and each round's own ratio; and the app's time without the announcements
Query's round trip to moto's server), and so are the CPU times the processes use (user and system:
waiting for the machine or the network is not counted). Times on this (virtual) machine vary by a fifth from run to run, so where
valgrind is installed each program is also run once under callgrind, and the instructions it
executes beyond the interpreter's own start are compared: a count that repeats within 0.3%. More
programs are only counted so, each with one measure undone, to show what it saves: the app with
botocore's full data (the runtime's SDK ahead of the package's trimmed one), with the catalogue
validated from its files instead of the build's pickle, and with the garbage collector as usual
(not paused for the imports and the first request); and a signed-in resident's folder page on a
cold start with the one PynamoDB connection all models share (chalicelib/models/base.py), and
with PynamoDB's own connection per model. The receipt of a folder item ("Download a copy (PDF)", the
one route that imports chalicelib.documents and pydyf) is timed and counted on a cold start too, and
the front page's run fails if anything imported the PDF module. Peak memory is the process's high-water mark of resident memory (VmHWM). Goals (issue 7): the
ratio at most 1.25, the zipped package at most 10 MB.

    PYTHONPATH=. .venv/bin/python bench/cold_start.py [--rounds 30]
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
import socket
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

STAGE = "prod"
APP = r'''
import json, time
started, cpu_started = time.perf_counter(), time.process_time()
import app
imported = time.perf_counter()
# The render would create it (the announcements are read); made here first only to time it apart.
from chalicelib.models.base import connection
client_started = time.perf_counter()
connection().client
client_made = time.perf_counter()
# The announcements Query's round trip to moto's server (sent, answered, parsed), timed apart too.
calls = []
events = connection().client.meta.events
events.register("before-send.dynamodb", lambda **kwargs: calls.append(-time.perf_counter()))
events.register("response-received.dynamodb", lambda **kwargs: calls.append(time.perf_counter()))
event = {"resource": "/", "path": "/", "httpMethod": "GET",
         "headers": {"Host": "portal.example"}, "multiValueHeaders": {"Host": ["portal.example"]},
         "queryStringParameters": None, "multiValueQueryStringParameters": None, "pathParameters": None,
         "stageVariables": None, "body": None, "isBase64Encoded": False,
         "requestContext": {"resourcePath": "/", "httpMethod": "GET", "path": "/api/", "stage": "api",
                            "requestId": "cold-start"}}
answer = app.app(event, None)
done, cpu_done = time.perf_counter(), time.process_time()
assert answer["statusCode"] == 200 and "</html>" in answer["body"], answer["statusCode"]
import sys
assert not {"pydyf", "chalicelib.documents"} & set(sys.modules), "a page imported the PDF module"
peak_kb = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({"seconds": done - started, "import": imported - started, "client": client_made - client_started,
                  "call": sum(calls), "cpu": cpu_done - cpu_started, "peak_mb": peak_kb / 1024}))
'''
LIBRARIES = r'''
import json, time
started, cpu_started = time.perf_counter(), time.process_time()
import chalice, boto3, jinja2
from pynamodb.models import Model
from pydantic import BaseModel
done, cpu_done = time.perf_counter(), time.process_time()
peak_kb = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({"seconds": done - started, "import": done - started, "cpu": cpu_done - cpu_started,
                  "peak_mb": peak_kb / 1024}))
'''
SETUP = r'''
from chalicelib.models import create_tables
create_tables()
# A registered resident with a session, for the signed-in folder page.
from chalicelib import sessions
from chalicelib.identity.claims import Identity
from chalicelib.identity.profiles import ContactForm, register
identity = Identity(customer="personal", method="bank", given_name="Penkki", family_name="Testaaja",
                    personal_identity_code="131052-308T")
profile_id = register(identity, ContactForm(email="penkki@example.fi", methods=("email",), language="fi", consent=True))
# A sent item in the resident's folder, for the receipt.
from datetime import datetime, timezone
from chalicelib.catalogue.search import folder_name_keys
from chalicelib.models.forms import SubmissionModel
now = datetime.now(timezone.utc)
SubmissionModel(item_number="000001", owner_id=profile_id, sender_id=profile_id, sent_by="Penkki Testaaja",
                service_id="dog-declaration", division_id="urban-environment", status="sent", status_at=now,
                answers={"dog_name": "Musti", "breed": "Sekarotuinen", "sex": "male", "birth_date": "2020-02-01",
                         "declaration_type": "new", "dog_count": "1", "information_correct": True},
                language="fi", created_at=now, updated_at=now, updated_sort=f"{now.isoformat()}#000001",
                **folder_name_keys("dog-declaration", "000001")).save()
print(sessions.create_session(identity, profile_id)[0])
'''
# A signed-in resident's folder (sessions, profiles, submissions and drafts are read), with the one
# shared PynamoDB connection, or with PynamoDB's own connection per model (PortalModel's override
# removed before `import app`): counted with valgrind only, to show what sharing saves.
FOLDER = r'''
import app
cookie = "sid=" + TOKEN
event = {"resource": "/folder", "path": "/folder", "httpMethod": "GET",
         "headers": {"Host": "portal.example", "Cookie": cookie},
         "multiValueHeaders": {"Host": ["portal.example"], "Cookie": [cookie]},
         "queryStringParameters": None, "multiValueQueryStringParameters": None, "pathParameters": None,
         "stageVariables": None, "body": None, "isBase64Encoded": False,
         "requestContext": {"resourcePath": "/folder", "httpMethod": "GET", "path": "/api/folder", "stage": "api",
                            "requestId": "cold-start-folder"}}
answer = app.app(event, None)
assert answer["statusCode"] == 200 and "</html>" in answer["body"], answer["statusCode"]
'''
# The receipt of that item on a cold start ("Download a copy (PDF)": the only route that imports the
# PDF module), timed and counted.
RECEIPT = r'''
import json, time
started = time.perf_counter()
import app
cookie = "sid=" + TOKEN
event = {"resource": "/folder/{item_number}/receipt", "path": "/folder/000001/receipt", "httpMethod": "GET",
         "headers": {"Host": "portal.example", "Cookie": cookie, "Accept": "text/html,*/*;q=0.8"},
         "multiValueHeaders": {"Host": ["portal.example"], "Cookie": [cookie], "Accept": ["text/html,*/*;q=0.8"]},
         "queryStringParameters": None, "multiValueQueryStringParameters": None,
         "pathParameters": {"item_number": "000001"}, "stageVariables": None, "body": None, "isBase64Encoded": False,
         "requestContext": {"resourcePath": "/folder/{item_number}/receipt", "httpMethod": "GET",
                            "path": "/api/folder/000001/receipt", "stage": "api", "requestId": "cold-start-receipt"}}
answer = app.app(event, None)
done = time.perf_counter()
assert answer["statusCode"] == 200 and answer["isBase64Encoded"], answer["statusCode"]
import base64
pdf = base64.b64decode(answer["body"])
assert pdf.startswith(b"%PDF-1.7"), pdf[:20]
print(json.dumps({"seconds": done - started, "bytes": len(pdf)}))
'''
PER_MODEL = "from chalicelib.models import base\ndel base.PortalModel._get_connection\n"
# The sign-in callback on a cold start (counted only): the provider answers in process (discovery,
# JWKS, token endpoint: a stub on chalicelib.identity.http's seam), so the count is the portal's own
# work: the code exchange, the ID token's RS256 signature and claims, a new profile's session.
# CALLBACK_SETUP starts a sign-in and signs its ID token (with the package's own libraries).
STUB = r'''
import json
from chalicelib.identity import http
PROVIDER = json.loads(PROVIDER_JSON)
def transport(method, url, body, headers):
    return http.HttpResponse(200, json.dumps(PROVIDER[url.split("?")[0]]).encode())
http.transport = transport
'''
# The helsinki preset (the default) with the personal identity code from a claim: the count leaves out
# the profile service's HTTP round trip, as it leaves out the provider's.
CODE_CLAIM = 'import os\nos.environ["PORTAL_IDENTITY_CLAIM_PERSONAL_IDENTITY_CODE"] = "national_id"\n'
CALLBACK_SETUP = CODE_CLAIM + STUB.replace("PROVIDER_JSON", "'{}'") + r'''
import base64, json, time
from urllib.parse import parse_qs, urlparse
from chalicelib.config import settings
issuer = settings().oidc_issuer
PROVIDER.update({issuer.rstrip("/") + "/.well-known/openid-configuration": {
    "issuer": issuer, "authorization_endpoint": issuer + "/authorize", "token_endpoint": issuer + "/token",
    "jwks_uri": issuer + "/jwks"}})
from chalicelib.identity.signin import start_sign_in
started = start_sign_in(customer="personal", return_path="/", language="fi")
query = {k: v[0] for k, v in parse_qs(urlparse(started.redirect_url).query).items()}
try:  # the package's own RSA: cryptography since issue 14, pycryptodome before
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    n, e = private.public_key().public_numbers().n, private.public_key().public_numbers().e
    sign = lambda data: private.sign(data, padding.PKCS1v15(), hashes.SHA256())
except ImportError:
    from Crypto.Hash import SHA256
    from Crypto.PublicKey import RSA
    from Crypto.Signature import pkcs1_15
    private = RSA.generate(2048)
    n, e = private.n, private.e
    sign = lambda data: pkcs1_15.new(private).sign(SHA256.new(data))
b64 = lambda data: base64.urlsafe_b64encode(data).rstrip(b"=").decode()
jwk = {"kty": "RSA", "kid": "bench", "use": "sig", "alg": "RS256", "n": b64(n.to_bytes(256, "big")), "e": b64(e.to_bytes(3, "big"))}
now = int(time.time())
claims = {"iss": issuer, "aud": settings().oidc_client_id, "sub": "bench-1", "iat": now, "exp": now + 3600,
          "nonce": query["nonce"], "amr": "suomi_fi", "loa": "substantial", "sid": "bench-sid",
          "given_name": "Penkki", "family_name": "Kirjautuja", "national_id": "010101-123N"}
signing_input = ".".join(b64(json.dumps(p).encode()) for p in ({"alg": "RS256", "kid": "bench"}, claims))
token = signing_input + "." + b64(sign(signing_input.encode()))
PROVIDER.update({issuer + "/jwks": {"keys": [jwk]}, issuer + "/token": {"access_token": "a", "token_type": "Bearer", "id_token": token}})
print(json.dumps({"provider": PROVIDER, "state": query["state"], "binding": started.browser_binding}))
'''
CALLBACK = CODE_CLAIM + r'''
import app
''' + STUB + r'''
cookie = "signin=" + BINDING
event = {"resource": "/auth/callback", "path": "/auth/callback", "httpMethod": "GET",
         "headers": {"Host": "portal.example", "Cookie": cookie},
         "multiValueHeaders": {"Host": ["portal.example"], "Cookie": [cookie]},
         "queryStringParameters": {"state": STATE, "code": "c"}, "multiValueQueryStringParameters": {"state": [STATE], "code": ["c"]},
         "pathParameters": None, "stageVariables": None, "body": None, "isBase64Encoded": False,
         "requestContext": {"resourcePath": "/auth/callback", "httpMethod": "GET", "path": "/api/auth/callback", "stage": "api",
                            "requestId": "cold-start-callback"}}
answer = app.app(event, None)
assert answer["statusCode"] == 303, (answer["statusCode"], answer["body"][:3000])
'''

# The app with one measure undone each (counted only):
UNDONE = {
    # infra/runtime.run puts the package first and the runtime's (full) SDK second on the path.
    "botocore's full data": "import sys\nsys.path.insert(0, sys.path.pop(1))\nimport botocore\nassert 'var-runtime' in botocore.__file__\n",
    "the catalogue validated": "from chalicelib.catalogue import store\nstore.SNAPSHOT = store.SNAPSHOT.with_name('none')\n",
    "the collector as usual": "import gc\ngc.disable = gc.freeze = lambda: None\n",
}


def _instructions(run, task_root, code, env, sdk) -> int:
    """Instructions the process executes, counted by valgrind (callgrind): the same count run after
    run, whatever else the machine is doing, unlike the times, which vary by a fifth here."""
    done = run(task_root, code, env=env, sdk_dir=sdk, timeout=600,
               wrapper=("valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"))
    if done.returncode:
        sys.exit(done.stderr[-3000:])
    return int(re.search(r"Collected : (\d+)", done.stderr).group(1))


def _callback(run, task_root, env, sdk) -> str:
    """The CALLBACK program for a sign-in that CALLBACK_SETUP started (its provider's answers inlined)."""
    done = run(task_root, CALLBACK_SETUP, env=env, sdk_dir=sdk)
    if done.returncode:
        sys.exit(done.stderr[-3000:])
    data = json.loads(done.stdout.strip().splitlines()[-1])
    return (CALLBACK.replace("PROVIDER_JSON", repr(json.dumps(data["provider"])))
            .replace("BINDING", repr(data["binding"])).replace("STATE", repr(data["state"])))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--no-callback", dest="callback", action="store_false",
                        help="leave out the sign-in callback's count")
    args = parser.parse_args(argv)

    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per AWS call

    from infra.package import package_app
    from infra.runtime import run, runtime_sdk_dir, unpack

    with tempfile.TemporaryDirectory(prefix="cold-start-") as tmp:
        tmp = Path(tmp)
        deployment = package_app(tmp / "out", STAGE)
        zipped_mb = deployment.stat().st_size / 1024 / 1024
        task_root = unpack(deployment, tmp / "var-task")
        unpacked_mb = sum(p.stat().st_size for p in task_root.rglob("*") if p.is_file()) / 1024 / 1024
        port = _free_port()
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        server.start()
        env = {
            "PORTAL_STAGE": STAGE, "PORTAL_TABLE_PREFIX": "eservices-bench-", "PORTAL_ATTACHMENTS_BUCKET": "unused",
            "POWERTOOLS_SERVICE_NAME": "city-eservices", "AWS_DEFAULT_REGION": "eu-north-1",
            "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        }
        programs = {"app": APP, "libraries": LIBRARIES}
        results: dict[str, list[dict]] = {name: [] for name in programs}
        instructions: dict[str, int] = {}
        try:
            with runtime_sdk_dir() as sdk:
                setup = run(task_root, SETUP, env=env, sdk_dir=sdk)
                if setup.returncode:
                    sys.exit(setup.stderr[-3000:])
                token = repr(setup.stdout.strip().splitlines()[-1])
                folder = FOLDER.replace("TOKEN", token)
                receipt = RECEIPT.replace("TOKEN", token)
                if shutil.which("valgrind"):
                    counted = {"interpreter": "pass", **programs, **{name: code + APP for name, code in UNDONE.items()},
                               "folder": folder, "folder, a connection per model": PER_MODEL + folder,
                               "receipt": receipt}
                    if args.callback:  # each sign-in consumes its transaction: a fresh one per count
                        counted["callback"] = _callback(run, task_root, env, sdk)
                    for name, code in counted.items():
                        instructions[name] = _instructions(run, task_root, code, env, sdk)
                for round_number in range(args.rounds):
                    order = list(programs) if round_number % 2 == 0 else list(reversed(programs))
                    for name in order:
                        done = run(task_root, programs[name], env=env, sdk_dir=sdk)
                        if done.returncode:
                            sys.exit(done.stderr[-3000:])
                        results[name].append(json.loads(done.stdout.strip().splitlines()[-1]))
                receipts = []
                for _ in range(max(3, args.rounds // 5)):
                    done = run(task_root, receipt, env=env, sdk_dir=sdk)
                    if done.returncode:
                        sys.exit(done.stderr[-3000:])
                    receipts.append(json.loads(done.stdout.strip().splitlines()[-1]))
        finally:
            server.stop()

    def median(name, key):
        return statistics.median(r[key] for r in results[name])

    app_s, lib_s = median("app", "seconds"), median("libraries", "seconds")
    ratio = app_s / lib_s
    print(f"cold start, {args.rounds} fresh processes each, medians (min):")
    print(f"  app: import app + render /            {app_s * 1000:7.0f} ms ({min(r['seconds'] for r in results['app']) * 1000:.0f})"
          f"   of which import app {median('app', 'import') * 1000:.0f} ms,"
          f" the DynamoDB client {median('app', 'client') * 1000:.0f} ms, the Query's round trip {median('app', 'call') * 1000:.0f} ms")
    print(f"  libraries alone                        {lib_s * 1000:7.0f} ms ({min(r['seconds'] for r in results['libraries']) * 1000:.0f})")
    fastest = min(r["seconds"] for r in results["app"]) / min(r["seconds"] for r in results["libraries"])
    # Each round runs the two programs one after the other: the median of the rounds' own ratios is
    # less moved by the machine's slow drifts than the ratio of the two medians.
    paired = statistics.median(a["seconds"] / b["seconds"] for a, b in zip(results["app"], results["libraries"]))
    print(f"  ratio app / libraries                  {ratio:7.2f}   (goal <= 1.25; of the fastest runs {fastest:.2f},"
          f" median of the rounds' ratios {paired:.2f})")
    without_client = statistics.median(r["seconds"] - r["client"] for r in results["app"]) / lib_s
    print(f"  the same without creating the client   {without_client:7.2f}   (every page that reads DynamoDB creates one)")
    without_call = statistics.median(r["seconds"] - r["call"] for r in results["app"]) / lib_s
    print(f"  the same without the Query's round trip {without_call:6.2f}   (to moto's server on this machine)")
    app_cpu, lib_cpu = median("app", "cpu"), median("libraries", "cpu")
    print(f"  CPU time (user + system): app {app_cpu * 1000:.0f} ms, libraries {lib_cpu * 1000:.0f} ms,"
          f" ratio {app_cpu / lib_cpu:.2f} (no waiting counted)")
    if instructions:
        app_i, lib_i = (instructions[n] - instructions["interpreter"] for n in ("app", "libraries"))
        print(f"  instructions (valgrind, beyond the interpreter's start): app {app_i / 1e6:.0f} M,"
              f" libraries {lib_i / 1e6:.0f} M, ratio {app_i / lib_i:.2f}")
        for name in UNDONE:
            undone = instructions[name] - instructions["interpreter"]
            print(f"  the app with {name + ':':28s} {undone / 1e6:5.0f} M, ratio {undone / lib_i:.2f}"
                  f" (the measure saves {(undone - app_i) / 1e6:.0f} M, {(undone - app_i) / undone:.0%})")
        shared, per_model = (instructions[n] - instructions["interpreter"] for n in ("folder", "folder, a connection per model"))
        print(f"  a signed-in folder page on a cold start: {shared / 1e6:.0f} M with the one shared connection,"
              f" {per_model / 1e6:.0f} M with a connection per model (ratio {per_model / shared:.2f})")
        receipt_i = instructions["receipt"] - instructions["interpreter"]
        print(f"  the receipt (a folder item's PDF) on a cold start: {receipt_i / 1e6:.0f} M"
              f" ({receipt_i / shared:.2f} x the folder page)")
        if "callback" in instructions:
            callback_i = instructions["callback"] - instructions["interpreter"]
            print(f"  the sign-in callback on a cold start (provider in process): {callback_i / 1e6:.0f} M,"
                  f" ratio to the signed-out front page {callback_i / app_i:.2f}")
    else:
        print("  instructions: not counted (valgrind is not installed)")
    print(f"  peak memory: app {max(r['peak_mb'] for r in results['app']):.0f} MB, "
          f"libraries {max(r['peak_mb'] for r in results['libraries']):.0f} MB")
    print(f"  the receipt on a cold start: {statistics.median(r['seconds'] for r in receipts) * 1000:.0f} ms"
          f" (median of {len(receipts)}), a {receipts[0]['bytes'] / 1024:.0f} kB PDF; no page imports the PDF module"
          " (the front page's run checks it)")
    print(f"deployment package ({STAGE}): {zipped_mb:.1f} MB zipped (goal <= 10 MB), {unpacked_mb:.0f} MB unpacked")
    return 0


if __name__ == "__main__":
    sys.exit(main())
