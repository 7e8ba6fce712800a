"""The local AWS stack: moto in server mode standing in for DynamoDB, S3, SES, SNS and SQS, and a
stand-in for GuardDuty Malware Protection for S3 (scripts/malware_scanner.py: it knows only the EICAR test file).

    python scripts/local_stack.py serve   # moto + tables + bucket + seed, then `chalice local` on :8000
    python scripts/local_stack.py setup   # tables + bucket + seed against an already running moto

Everything it creates comes from the same model definitions the tests use, and seeding is
idempotent: run it as often as you like. Ctrl-C stops both servers.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def local_environment(moto_port: int, port: int = 8000) -> dict[str, str]:
    """The `local` stage's variables from .chalice/config.json plus the addresses that depend on the
    ports: the moto server, the portal itself and its bundled identity provider."""
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    env = dict(config.get("environment_variables", {}))
    env.update(config["stages"]["local"]["environment_variables"])
    env["AWS_ENDPOINT_URL"] = f"http://127.0.0.1:{moto_port}"
    env["PORTAL_PUBLIC_BASE_URL"] = f"http://localhost:{port}"
    env["PORTAL_OIDC_ISSUER"] = f"http://localhost:{port}/dev-idp"
    env["PORTAL_AUTHORIZATIONS_BASE_URL"] = f"http://localhost:{port}/dev-authorizations"
    return env


def _port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def start_moto(endpoint: str):
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per AWS call

    host, port = endpoint.rsplit("/", 1)[-1].split(":")
    if _port_open(host, int(port)):
        raise SystemExit(f"port {port} is taken: stop whatever runs there (an earlier `make run`?) or pick another")
    server = ThreadedMotoServer(ip_address=host, port=int(port), verbose=False)
    server.start()
    return server


def setup_resources() -> None:
    import boto3

    from chalicelib.config import settings
    from chalicelib.models import create_tables

    created = create_tables()
    print(f"tables ready ({len(created)} created)")
    config = settings()
    s3 = boto3.client("s3", region_name=config.aws_region, endpoint_url=config.aws_endpoint_url)
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    if config.attachments_bucket not in existing:
        s3.create_bucket(
            Bucket=config.attachments_bucket,
            CreateBucketConfiguration={"LocationConstraint": config.aws_region},
        )
    s3.put_public_access_block(
        Bucket=config.attachments_bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True,
        },
    )
    print(f"bucket ready ({config.attachments_bucket})")
    # SES sends only from a verified identity (moto checks it too); on AWS ops verify it once (docs/operations.md).
    ses = boto3.client("ses", region_name=config.aws_region, endpoint_url=config.aws_endpoint_url)
    ses.verify_email_identity(EmailAddress=config.notification_sender)
    print(f"SES sender verified ({config.notification_sender})")
    # Delivery feedback (issue 18): the configuration set every e-mail names, and its SNS topic.
    if config.notification_configuration_set:
        existing_sets = {c["Name"] for c in ses.list_configuration_sets().get("ConfigurationSets", [])}
        if config.notification_configuration_set not in existing_sets:
            ses.create_configuration_set(ConfigurationSet={"Name": config.notification_configuration_set})
    sns = boto3.client("sns", region_name=config.aws_region, endpoint_url=config.aws_endpoint_url)
    sns.create_topic(Name=config.delivery_feedback_topic)  # idempotent
    print(f"SES configuration set and feedback topic ready ({config.notification_configuration_set})")
    # The notification queue and its dead-letter queue, as the CDK app makes them (`make sweep` drains it).
    from chalicelib.notifications.fanout import create_queues

    create_queues()
    print(f"notification queue ready ({config.notification_queue_name}, dead letters: -dead)")
    seed()


def seed() -> None:
    from chalicelib.announcements import publish_announcement
    from chalicelib.clock import helsinki_today

    today = helsinki_today()
    publish_announcement(
        announcement_id="local-demo",  # a fixed id: seeding again overwrites instead of adding
        starts_on=today - timedelta(days=1),
        ends_on=today + timedelta(days=365),
        level="info",
        title={
            "fi": "Kehitysympäristö",
            "sv": "Utvecklingsmiljö",
            "en": "Development environment",
        },
        body={
            "fi": "Tämä on paikallinen kehitysympäristö. Kaikki tiedot ovat testitietoja.",
            "sv": "Det här är en lokal utvecklingsmiljö. Alla uppgifter är testuppgifter.",
            "en": "This is a local development environment. All data here is test data.",
        },
    )
    print("seeded the demo announcement")
    write_division_keys()


def write_division_keys() -> None:
    """One API key per division for local development, written to .local/division-keys.json (not in git)."""
    from chalicelib.divisions import division_ids
    from chalicelib.divisions.keys import create_key

    target = Path(os.environ.get("PORTAL_LOCAL_KEYS_FILE") or ROOT / ".local" / "division-keys.json")
    target.parent.mkdir(exist_ok=True)
    local_keys = {division: create_key(division, "local development") for division in division_ids()}
    target.write_text(json.dumps(local_keys, indent=2) + "\n", encoding="utf-8")
    target.chmod(0o600)
    print(f"division API keys for local use: {target}")


def start_scanner():
    """The stand-in for GuardDuty Malware Protection for S3: tags each new attachment and sends the scan
    result event to the app's handler, in a thread of this process (chalice local runs no event rules)."""
    import threading

    import boto3

    from chalicelib.config import settings
    from scripts.malware_scanner import Scanner

    config = settings()
    s3 = boto3.client("s3", region_name=config.aws_region, endpoint_url=config.aws_endpoint_url)
    stop = threading.Event()
    thread = threading.Thread(target=Scanner(s3, config.attachments_bucket, config.aws_region).run_forever,
                              args=(stop,), name="malware-scanner", daemon=True)
    thread.start()
    print("malware scanner stand-in running (knows only the EICAR test file)")
    return stop


def serve(port: int, moto_port: int) -> int:
    env = local_environment(moto_port, port)
    os.environ.update(env)
    moto = start_moto(env["AWS_ENDPOINT_URL"])
    print(f"local AWS stack (moto) at {env['AWS_ENDPOINT_URL']}")
    chalice = None
    scanner = None
    try:
        setup_resources()
        scanner = start_scanner()
        chalice = subprocess.Popen(
            [str(Path(sys.executable).with_name("chalice")), "local", "--stage", "local", "--host", "127.0.0.1",
             "--port", str(port), "--no-autoreload"],
            cwd=ROOT,
            env={**os.environ, **env},
        )
        for _ in range(100):
            if _port_open("127.0.0.1", port) or chalice.poll() is not None:
                break
            time.sleep(0.1)
        print(f"\n  The portal is at http://localhost:{port}/   (Ctrl-C stops it)\n", flush=True)
        return chalice.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        if chalice and chalice.poll() is None:
            chalice.send_signal(signal.SIGINT)
            try:
                chalice.wait(timeout=5)
            except subprocess.TimeoutExpired:
                chalice.kill()
        if scanner is not None:
            scanner.set()
        moto.stop()
        print("stopped")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    serve_cmd = sub.add_parser("serve", help="start moto and the portal")
    serve_cmd.add_argument("--port", type=int, default=8000, help="the portal's port")
    serve_cmd.add_argument("--moto-port", type=int, default=5055, help="the local AWS stack's port")
    setup_cmd = sub.add_parser("setup", help="create tables and bucket and seed, against a running moto")
    setup_cmd.add_argument("--moto-port", type=int, default=5055)
    args = parser.parse_args()
    if args.command == "serve":
        return serve(args.port, args.moto_port)
    os.environ.update(local_environment(args.moto_port))
    setup_resources()
    return 0


if __name__ == "__main__":
    sys.exit(main())
