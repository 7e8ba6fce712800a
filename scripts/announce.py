"""Publish a service notification shown on every page between two Helsinki dates (ops command).

    python scripts/announce.py --starts 2026-12-10 --ends 2026-12-11 --level alert \
        --title-fi ... --title-sv ... --title-en ... --body-fi ... --body-sv ... --body-en ...

Uses the AWS credentials and PORTAL_* settings of the shell; --id overwrites an earlier one.
"""
from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--starts", type=date.fromisoformat, required=True)
    parser.add_argument("--ends", type=date.fromisoformat, required=True)
    parser.add_argument("--level", choices=("info", "alert"), default="info")
    parser.add_argument("--id", dest="announcement_id")
    for part in ("title", "body"):
        for language in ("fi", "sv", "en"):
            parser.add_argument(f"--{part}-{language}", required=True)
    args = parser.parse_args(argv)

    from chalicelib.announcements import publish_announcement

    try:
        announcement_id = publish_announcement(
            starts_on=args.starts,
            ends_on=args.ends,
            level=args.level,
            announcement_id=args.announcement_id,
            title={lang: getattr(args, f"title_{lang}") for lang in ("fi", "sv", "en")},
            body={lang: getattr(args, f"body_{lang}") for lang in ("fi", "sv", "en")},
        )
    except ValueError as exc:
        parser.error(str(exc))
    print(f"published announcement {announcement_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
