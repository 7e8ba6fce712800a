"""Ops: create, revoke and list division API keys. A new key is shown once; only its hash is kept.

    python scripts/division_key.py create --division urban-environment [--label "case system"]
    python scripts/division_key.py revoke --key-id dk0123456789abcdef
    python scripts/division_key.py list [--division urban-environment]

Uses the AWS credentials and PORTAL_* settings of the shell (make division-key sets the local ones).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _default_to_local_stack() -> None:
    """Without PORTAL_STAGE in the shell, talk to the local stack that `make run` serves."""
    import os

    if "PORTAL_STAGE" not in os.environ:
        from scripts.local_stack import local_environment

        os.environ.update(local_environment(int(os.environ.get("MOTO_PORT", "5055"))))
        print("(the local stack at 127.0.0.1:5055; set PORTAL_STAGE and AWS credentials for dev or prod)", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    from chalicelib.divisions import division_ids

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    create = sub.add_parser("create")
    create.add_argument("--division", required=True, choices=sorted(division_ids()))
    create.add_argument("--label")
    revoke = sub.add_parser("revoke")
    revoke.add_argument("--key-id", required=True)
    listing = sub.add_parser("list")
    listing.add_argument("--division", choices=sorted(division_ids()))
    args = parser.parse_args(argv)

    from chalicelib.divisions import keys

    if args.command == "create":
        key = keys.create_key(args.division, args.label)
        print(f"Division API key for {args.division} (shown only now; store it in the division's secret store):")
        print(key)
    elif args.command == "revoke":
        if not keys.revoke_key(args.key_id):
            print(f"no key {args.key_id}", file=sys.stderr)
            return 1
        print(f"revoked {args.key_id}")
    else:
        for record in keys.list_keys(args.division):
            state = f"revoked {record.revoked_at:%Y-%m-%d}" if record.revoked_at else "active"
            print(f"{record.key_id}  {record.division_id:24} {record.created_at:%Y-%m-%d}  {state}  {record.label or ''}")
    return 0


if __name__ == "__main__":
    _default_to_local_stack()
    sys.exit(main())
