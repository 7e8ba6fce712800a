"""Static assets: content-hashed files built by scripts/build_assets.py into chalicelib/static."""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
_NAME = re.compile(r"^[a-z0-9-]+\.[0-9a-f]{12}\.(css|js|svg|woff2)$")
CONTENT_TYPES = {
    "css": "text/css; charset=utf-8",
    "js": "text/javascript; charset=utf-8",
    "svg": "image/svg+xml",
    "woff2": "font/woff2",
}


@lru_cache(maxsize=1)
def manifest() -> dict[str, str]:
    path = STATIC_DIR / "manifest.json"
    if not path.exists():
        raise RuntimeError("static assets are not built: run `make assets`")
    return json.loads(path.read_text(encoding="utf-8"))


def hashed_name(logical_name: str) -> str:
    return manifest()[logical_name]


def read_asset(name: str) -> tuple[bytes, str] | None:
    """The bytes and content type of a built asset, or None for any name that is not one."""
    if not _NAME.match(name) or name not in manifest().values():
        return None
    return (STATIC_DIR / name).read_bytes(), CONTENT_TYPES[name.rsplit(".", 1)[1]]
