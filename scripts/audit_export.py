"""Ops: export the audit trail of one submission (every read and change by a division) as JSON lines.

    python scripts/audit_export.py --item 000123 > audit-000123.jsonl
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--item", required=True, help="the item number")
    args = parser.parse_args(argv)
    if not args.item.isdigit():
        parser.error("an item number is digits")

    from chalicelib.privacy import audit

    for entry in audit.for_item(args.item):
        print(json.dumps({k: v for k, v in {
            "at": entry.at.isoformat(), "action": entry.action, "actor": entry.actor, "division": entry.division_id,
            "key_id": entry.key_id, "item_number": entry.item_number}.items() if v is not None}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
