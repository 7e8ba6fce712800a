"""The CDK app: one stack per stage (dev, prod), environment-agnostic (no account or region is needed
to synthesize; `cdk deploy` takes them from the operator's credentials).

    make synth                 # cdk.out/dev.template.json, cdk.out/prod.template.json
    make deploy STAGE=dev      # docs/operations.md
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import aws_cdk as cdk  # noqa: E402

from infra.portal_stack import PortalStack  # noqa: E402
from infra.stages import STAGES, stage_settings  # noqa: E402


def build(app: cdk.App | None = None) -> cdk.App:
    # Chalice's construct packages into ./chalice.out/<uuid>/ at every run: keep only this run's.
    shutil.rmtree(Path.cwd() / "chalice.out", ignore_errors=True)
    app = app or cdk.App()
    only = app.node.try_get_context("stage")  # `-c stage=dev` synthesizes one stage
    for name in STAGES:
        if only and name != only:
            continue
        PortalStack(app, stage_settings(name, app.node.try_get_context))
    return app


if __name__ == "__main__":
    build().synth()
