"""The Lambda deployment package, built exactly one way for the deploy, the tests and the benchmark.

1. ``stage_sources()`` lays out what Chalice packages (``app.py``, ``chalicelib/``, ``requirements.txt``,
   ``.chalice/config.json``) in ``build/lambda/``, a staging copy of the project, and adds what the app
   reads at run time that lives outside ``chalicelib/`` in the repository: ``templates/`` goes to
   ``chalicelib/templates/`` (``chalicelib.templating`` looks there when the repository's
   ``templates/`` is not beside it, i.e. in the package). The repository itself is never written to,
   so no generated copy can shadow a template that a developer is editing. The templates are also
   compiled to Python modules (``chalicelib/templates_compiled``, loaded by Jinja2's ModuleLoader)
   so that a cold start imports bytecode instead of parsing them, and the catalogue is validated and
   pickled (``chalicelib/catalogue/catalogue.pickle``) so that it loads without validating. The built static assets
   and compiled translations must exist already (``make assets translations``, part of every make
   target); the message sources (.po/.pot) and asset sources stay out.
2. Chalice packages the staging copy (``chalice.api.package_app``, which the CDK construct calls too):
   it installs ``requirements.txt`` for the Lambda platform (manylinux wheels for Python 3.11) and
   caches the zip in ``build/lambda/.chalice/deployments`` keyed by a hash of the sources.
3. ``slim()`` post-processes the zip. The AWS SDK (boto3, botocore, s3transfer and what they need,
   pinned in requirements.txt: the versions the tests run) stays in the package, as AWS advises, and
   botocore's data is cut to the services the portal calls (``chalicelib.clients.AWS_SERVICES``):
   creating the first client in a fresh botocore session lists every service's folder and parses
   the 1.2 MB endpoints.json; with 4 services instead of 445 it costs 121 M instructions instead of
   329 M (docs/benchmarks.md).
   The modules are compiled to unchecked-hash ``.pyc``: ``/var/task`` is read-only, so Python could
   never cache bytecode there and would compile every module it imports at every cold start
   (measured: 0.75 s of a 1.6 s cold start). Parts of libraries that the portal never imports are
   left out (``UNUSED``, ``KEEP_ONLY``, ``UNUSED_FILES``: other countries' identity codes,
   Powertools' other utilities, DNS resolution, ciphers and hashes it never uses) and a few that it
   rarely imports stay source only (``SOURCE_ONLY``). The zip is written again with sorted entries
   and fixed times, so that the same sources give the same bytes (and CDK's asset hash changes only
   when the code does).
"""
from __future__ import annotations

import compileall
import fnmatch
import gzip
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAGING = ROOT / "build" / "lambda"

# Parts of libraries that the portal never imports, left out of the package (the package test
# runs the app from the unpacked zip, so a part removed wrongly fails it). Top-level names, and the
# distributions whose .dist-info goes with them:
UNUSED = {"dns"}  # dnspython: email-validator's deliverability checks, which the portal never asks for
UNUSED_DISTRIBUTIONS = {"dnspython"}
# Packages of which only these parts are kept (paths in the package):
KEEP_ONLY = {
    # python-stdnum: the Finnish personal identity code and Business ID, and what they import (the
    # other countries' modules and their data files are 4 MB).
    "stdnum/": ("stdnum/__init__.py", "stdnum/util.py", "stdnum/exceptions.py", "stdnum/fi/"),
    # Powertools: the logger and metrics need only these of its utilities.
    "aws_lambda_powertools/utilities/": ("aws_lambda_powertools/utilities/__init__.py",
                                         "aws_lambda_powertools/utilities/jmespath_utils/",
                                         "aws_lambda_powertools/utilities/typing/",
                                         "aws_lambda_powertools/utilities/serialization.py"),
    # Authlib: the relying party uses its OAuth 2.0 client parts and OpenID Connect claims (over
    # joserfc); its web-framework integrations, OAuth 1 and its deprecated own JOSE stay out.
    "authlib/": ("authlib/__init__.py", "authlib/_joserfc_helpers.py", "authlib/consts.py", "authlib/deprecate.py",
                 "authlib/common/", "authlib/oauth2/", "authlib/oidc/"),
}
# Single files by pattern.
UNUSED_FILES = (
    # python-dateutil's own time-zone database (botocore uses only dateutil.tz; we use tzdata).
    "dateutil/zoneinfo/*.tar.gz",
)
# Modules left as source only (no bytecode): nothing the portal runs imports them, or only rarely
# (a phone number region's metadata), and their bytecode would add megabytes to the zip.
SOURCE_ONLY = (
    "pydantic/v1/",  # pydantic 1's API, kept by pydantic 2 for migrations
    "aws_lambda_powertools/event_handler/",  # Powertools' own web framework (we have Chalice)
    "phonenumbers/data/", "phonenumbers/shortdata/",  # per-region metadata, loaded on first use
)
# Sources under chalicelib/ that are not needed at run time.
_SKIP_NAMES = {"__pycache__", ".pytest_cache"}
_SKIP_SUFFIXES = {".pyc", ".po", ".pot"}
_SKIP_DIRS = {Path("chalicelib/web/assets")}  # sources of chalicelib/static (built by scripts/build_assets.py)
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)
DEFAULT_REGION = "eu-north-1"  # the City's AWS region (Stockholm)


class PackageError(RuntimeError):
    pass


def _check_built() -> None:
    static = ROOT / "chalicelib" / "static" / "manifest.json"
    translations = list((ROOT / "chalicelib" / "translations").glob("*/LC_MESSAGES/messages.mo"))
    if not static.exists():
        raise PackageError("chalicelib/static is not built: run `make assets`")
    if not translations:
        raise PackageError("compiled translations are missing: run `make translations`")


def stage_sources(staging: Path = STAGING) -> Path:
    """Refresh the staging copy of what Chalice packages; files no longer in the sources are removed.
    ``.chalice/deployments`` (Chalice's cache of built zips) is kept."""
    _check_built()
    staging.mkdir(parents=True, exist_ok=True)
    keep: set[Path] = set()
    for name in ("app.py", "requirements.txt"):
        shutil.copyfile(ROOT / name, staging / name)
        keep.add(Path(name))
    (staging / ".chalice").mkdir(exist_ok=True)
    shutil.copyfile(ROOT / ".chalice" / "config.json", staging / ".chalice" / "config.json")
    keep.add(Path(".chalice/config.json"))
    for source, target in ((ROOT / "chalicelib", Path("chalicelib")), (ROOT / "templates", Path("chalicelib/templates"))):
        for path in sorted(source.rglob("*")):
            rel = path.relative_to(source)
            if path.is_dir() or any(part in _SKIP_NAMES for part in rel.parts) or path.suffix in _SKIP_SUFFIXES:
                continue
            if any((target / rel).is_relative_to(skip) for skip in _SKIP_DIRS):
                continue
            destination = staging / target / rel
            destination.parent.mkdir(parents=True, exist_ok=True)
            data = path.read_bytes()
            if not destination.exists() or destination.read_bytes() != data:
                destination.write_bytes(data)  # unchanged files keep their time: Chalice hashes contents anyway
            keep.add(target / rel)
    compiled = staging / "chalicelib" / "templates_compiled"
    if compiled.exists():
        shutil.rmtree(compiled)
    _compile_templates(ROOT / "templates", compiled)
    keep.update(p.relative_to(staging) for p in compiled.rglob("*") if p.is_file())
    snapshot = staging / "chalicelib" / "catalogue" / "catalogue.pickle"
    _snapshot_catalogue(snapshot)
    keep.add(snapshot.relative_to(staging))
    for path in sorted(staging.rglob("*"), reverse=True):
        rel = path.relative_to(staging)
        if rel.parts[0] == ".chalice" and rel != Path(".chalice/config.json"):
            continue
        if path.is_file() and rel not in keep:
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    return staging


def prune_cache(staging: Path = STAGING, keep: int = 2) -> None:
    """Chalice keeps a zip per version of the sources in .chalice/deployments: keep the newest few."""
    zips = sorted((staging / ".chalice" / "deployments").glob("*.zip"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in zips[keep:]:
        old.unlink()


def _unused(relative: str) -> bool:
    """Is ``relative`` (a path in the package) a part of a library that the portal never imports?"""
    top = relative.split("/", 1)[0]
    if top in UNUSED or (top.endswith(".dist-info") and top.split("-", 1)[0].lower() in UNUSED_DISTRIBUTIONS):
        return True
    if any(fnmatch.fnmatch(relative, pattern) for pattern in UNUSED_FILES):
        return True
    return any(relative.startswith(package) and not relative.startswith(kept) for package, kept in KEEP_ONLY.items())


def _compiled(relative: str) -> bool:
    """Does module ``relative`` (a path in the package) get bytecode?"""
    return not relative.startswith(SOURCE_ONLY)


def _snapshot_catalogue(target: Path) -> None:
    """The catalogue validated once at build time and pickled (chalicelib.catalogue.store.write_snapshot),
    in a fresh interpreter like the templates: a cold start loads it instead of validating 36 files.
    A fixed hash seed orders the sets in it (pydantic's fields set) the same way in every build, so
    that the same sources give the same zip."""
    code = ("import sys; sys.path.insert(0, sys.argv[1]); from pathlib import Path; "
            "from chalicelib.catalogue.store import write_snapshot; write_snapshot(Path(sys.argv[2]))")
    subprocess.run([sys.executable, "-c", code, str(ROOT), str(target)], check=True,
                   env={**os.environ, "PYTHONHASHSEED": "0"})


def _compile_templates(source: Path, target: Path) -> None:
    """Jinja2 templates compiled to modules (chalicelib.templating.compile_templates), in a fresh
    interpreter so that the build never depends on what this process imported."""
    code = ("import sys; sys.path.insert(0, sys.argv[1]); from pathlib import Path; "
            "from chalicelib.templating import compile_templates; compile_templates(Path(sys.argv[2]), Path(sys.argv[3]))")
    subprocess.run([sys.executable, "-c", code, str(ROOT), str(source), str(target)], check=True)


def _trim_aws_sdk(root: Path) -> None:
    """Cut the data of botocore (and boto3's resource models) to the services the portal calls: the
    newest API version of each, without examples or documentation, and endpoints.json with only their
    endpoints (every partition and region kept). ``tests/infra/test_package.py`` checks that the
    trimmed SDK has the same operations and shapes, and resolves the same endpoints, as the full one."""
    from chalicelib.clients import AWS_SERVICES

    data = root / "botocore" / "data"
    if not data.is_dir():
        raise PackageError("botocore is not in the package: pin boto3 and botocore in requirements.txt")
    prefixes = set()
    for service in sorted(data.iterdir()):
        if not service.is_dir():
            continue
        if service.name not in AWS_SERVICES:
            shutil.rmtree(service)
            continue
        versions = sorted(v for v in service.iterdir() if any(v.glob("service-2.json*")))
        for old in [v for v in service.iterdir() if v not in versions[-1:]]:
            shutil.rmtree(old)
        for example in versions[-1].glob("examples-1.json*"):
            example.unlink()
        models = {document.name.removesuffix(".gz").removesuffix(".json"): _undocumented(document)
                  for document in sorted(versions[-1].glob("*.json*"))}
        prefixes.add(models["service-2"]["metadata"]["endpointPrefix"])
    missing = set(AWS_SERVICES) - {p.name for p in data.iterdir() if p.is_dir()}
    if missing:
        raise PackageError(f"botocore has no model for {sorted(missing)}")
    endpoints = json.loads((data / "endpoints.json").read_text())
    for partition in endpoints["partitions"]:
        partition["services"] = {name: value for name, value in partition["services"].items() if name in prefixes}
    (data / "endpoints.json").write_text(json.dumps(endpoints, separators=(",", ":"), sort_keys=True))
    for resources in (root / "boto3" / "data").iterdir():
        if resources.name not in AWS_SERVICES:
            shutil.rmtree(resources)


def _undocumented(document: Path) -> dict:
    """Rewrite a botocore model (``.json`` or ``.json.gz``) as plain ``.json`` without its prose: the
    string values of ``documentation`` keys become empty (the keys stay: botocore reads some; a
    member that happens to be called ``documentation`` is a shape reference, an object, and stays).
    The DynamoDB model goes from 556 kB to 120 kB, and botocore parses it on every cold start; the
    prose serves only interactive help (``help(client)``). Returns the model as written."""
    opened = gzip.open(document) if document.suffix == ".gz" else document.open("rb")
    with opened as stream:
        model = json.load(stream)

    def strip(value):
        if isinstance(value, dict):
            return {key: "" if key in ("documentation", "documentationUrl") and isinstance(item, str) else strip(item)
                    for key, item in value.items()}
        if isinstance(value, list):
            return [strip(item) for item in value]
        return value

    document.unlink()
    plain = document.with_suffix("") if document.suffix == ".gz" else document
    stripped = strip(model)
    plain.write_text(json.dumps(stripped, separators=(",", ":")))
    return stripped


def slim(zip_path: Path) -> None:
    """Trim the AWS SDK's data, leave out unused parts, add bytecode, rewrite deterministically (in place)."""
    with tempfile.TemporaryDirectory(prefix="lambda-slim-") as tmp:
        root = Path(tmp) / "pkg"
        with zipfile.ZipFile(zip_path) as source:
            source.extractall(root)
        _trim_aws_sdk(root)
        for cache in list(root.rglob("__pycache__")):
            shutil.rmtree(cache)
        for path in sorted(root.rglob("*"), reverse=True):  # files before their folders
            if path.is_file() and _unused(path.relative_to(root).as_posix()):
                path.unlink()
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()
        # The portal's own modules keep their source beside unchecked-hash pycs (used without comparing
        # the source's time, which a zip keeps to 2 s), so tracebacks quote our code. The libraries'
        # modules ship as bytecode only, in the source's place (what is pinned in requirements.txt
        # has the source): 1.9 MB less in the zip, which keeps the package under 10 MB with the SDK in.
        # The bytecode names each source by its path on Lambda.
        for module in sorted(root.rglob("*.py")):
            relative = module.relative_to(root).as_posix()
            if not _compiled(relative):
                continue
            ours = relative == "app.py" or relative.startswith("chalicelib/")
            compileall.py_compile.compile(
                str(module), cfile=importlib.util.cache_from_source(str(module)) if ours else str(module.with_suffix(".pyc")),
                dfile=f"/var/task/{relative}", doraise=True,
                invalidation_mode=compileall.py_compile.PycInvalidationMode.UNCHECKED_HASH,
            )
            if not ours:
                module.unlink()
        rebuilt = zip_path.with_suffix(".slim.zip")
        with zipfile.ZipFile(rebuilt, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
            for path in sorted(root.rglob("*")):
                if path.is_dir():
                    continue
                info = zipfile.ZipInfo(path.relative_to(root).as_posix(), date_time=_FIXED_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = (0o755 if os.access(path, os.X_OK) else 0o644) << 16
                target.writestr(info, path.read_bytes(), compresslevel=9)
        rebuilt.replace(zip_path)


def package_app(output_dir: Path, stage: str, chalice_config: dict | None = None) -> Path:
    """``chalice package`` of the staging copy into ``output_dir``, then ``slim()``: the deployment zip
    exactly as the CDK app deploys it (without CloudFormation tokens in ``chalice_config``)."""
    from chalice import api

    # Chalice asks botocore for the region's service principals; no credentials are needed.
    os.environ.setdefault("AWS_DEFAULT_REGION", DEFAULT_REGION)
    staging = stage_sources()
    api.package_app(project_dir=str(staging), output_dir=str(output_dir), stage=stage, chalice_config=chalice_config)
    prune_cache()
    deployment = Path(output_dir) / "deployment.zip"
    slim(deployment)
    return deployment
