"""The deployment as `make synth` builds it: the CDK CLI (node_modules, pinned) runs infra/main.py once
per test session into a temporary cloud assembly. No AWS account or credentials are involved."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STAGES = ("dev", "prod")


@pytest.fixture(scope="session")
def assembly(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cdk.out")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", str(out)), "LANG": "C.UTF-8",
        "CDK_DISABLE_CLI_TELEMETRY": "true", "CDK_DISABLE_VERSION_CHECK": "1",
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    }
    done = subprocess.run(
        [str(ROOT / "node_modules" / ".bin" / "cdk"), "synth", "--quiet", "--output", str(out)],
        cwd=ROOT / "infra", env=env, capture_output=True, text=True, timeout=900,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-6000:]
    return out


@pytest.fixture(scope="session")
def templates(assembly) -> dict[str, dict]:
    return {stage: json.loads((assembly / f"{stage}.template.json").read_text()) for stage in STAGES}


def resources(template: dict, kind: str) -> dict[str, dict]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def code_asset(assembly: Path, stage: str) -> Path:
    """The deployment zip that `cdk deploy` would upload for the stage's functions."""
    manifest = json.loads((assembly / f"{stage}.assets.json").read_text())
    zips = {f["source"]["path"] for f in manifest["files"].values() if f["source"].get("packaging") == "file"
            and f["source"]["path"].endswith(".zip")}
    assert len(zips) == 1, zips
    return assembly / zips.pop()
