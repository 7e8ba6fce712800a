"""Build the portal's static assets: the Helsinki Design System styles (npm hds-core) and our own.

Writes content-hashed files and a manifest to chalicelib/static, so that they can be served with
"Cache-Control: immutable" and still change name whenever their content changes.
Run by `make assets` (part of `make run` and `make test`).
"""
from __future__ import annotations

import hashlib
import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HDS = ROOT / "node_modules" / "hds-core" / "lib"
SOURCES = ROOT / "chalicelib" / "web" / "assets"
OUT = ROOT / "chalicelib" / "static"

BUNDLES = {
    # logical name: the files concatenated into it, in order
    "portal.css": [HDS / "base.min.css", HDS / "components" / "all.min.css", SOURCES / "portal.css"],
    "session.js": [SOURCES / "session.js"],
    "form.js": [SOURCES / "form.js"],
    "folder.js": [SOURCES / "folder.js"],
    "listen.js": [SOURCES / "listen.js"],
    "devidp.js": [SOURCES / "devidp.js"],
    "favicon.svg": [SOURCES / "favicon.svg"],  # also served at /favicon.ico (handlers/static.py)
}


def build() -> dict[str, str]:
    if not HDS.exists():
        sys.exit("node_modules/hds-core is missing: run `npm ci` (make does this)")
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    manifest = {}
    for logical, parts in BUNDLES.items():
        content = b"\n".join(part.read_bytes() for part in parts)
        stem, ext = logical.rsplit(".", 1)
        name = f"{stem}.{hashlib.sha256(content).hexdigest()[:12]}.{ext}"
        (OUT / name).write_bytes(content)
        manifest[logical] = name
    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


if __name__ == "__main__":
    for logical, name in build().items():
        print(f"built {logical} -> chalicelib/static/{name}")
