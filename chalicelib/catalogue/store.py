"""Loading the catalogue: every data file validated once, on first use, and kept for the process.

The deployment package carries the catalogue already validated, as a pickle that the package build
writes (``write_snapshot``; never in a working tree, where the data files are the truth): loading it
costs a Lambda cold start half of what validating the files does (docs/benchmarks.md). The pickle is
the package's own file, made by the same pinned pydantic, never input from outside.
"""
from __future__ import annotations

import json
import pickle
from functools import lru_cache
from pathlib import Path

from chalicelib.catalogue.schema import EService

DATA_DIR = Path(__file__).with_name("data")
SNAPSHOT = Path(__file__).with_name("catalogue.pickle")
# The City's divisions that handle e-services: id -> name in fi, sv and en (plain JSON, read on first
# use; every e-service's ``division`` must be one of these ids).
DIVISIONS_FILE = Path(__file__).with_name("divisions.json")


class CatalogueError(ValueError):
    """A catalogue data file is missing, malformed or disagrees with its file name."""


def load_divisions(path: Path = DIVISIONS_FILE) -> dict[str, dict[str, str]]:
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise CatalogueError(f"{path.name}: {exc}") from exc
    for division_id, names in found.items():
        if not isinstance(names, dict) or set(names) != {"fi", "sv", "en"} or not all(
                isinstance(n, str) and n.strip() for n in names.values()):
            raise CatalogueError(f"{path.name}: {division_id!r} needs a name in fi, sv and en")
    return found


def load_catalogue(data_dir: Path = DATA_DIR, divisions_file: Path = DIVISIONS_FILE) -> dict[str, EService]:
    """Every e-service, validated; an e-service whose division is unknown stops the load."""
    known = load_divisions(divisions_file)
    services: dict[str, EService] = {}
    for path in sorted(data_dir.glob("*.json")):
        try:
            service = EService.model_validate(json.loads(path.read_text(encoding="utf-8")))
        except ValueError as exc:  # json.JSONDecodeError and pydantic.ValidationError both are
            raise CatalogueError(f"{path.name}: {exc}") from exc
        if service.id != path.stem:
            raise CatalogueError(f"{path.name}: id {service.id!r} does not match the file name")
        if service.division not in known:
            raise CatalogueError(f"{path.name}: unknown division {service.division!r}; one of {', '.join(known)}")
        services[service.id] = service
    if not services:
        raise CatalogueError(f"no e-services in {data_dir}")
    return services


def write_snapshot(target: Path = SNAPSHOT, data_dir: Path = DATA_DIR) -> None:
    """The package build's step: the validated catalogue, pickled."""
    target.write_bytes(pickle.dumps(load_catalogue(data_dir), protocol=pickle.HIGHEST_PROTOCOL))


@lru_cache(maxsize=1)
def catalogue() -> dict[str, EService]:
    if SNAPSHOT.is_file():
        return pickle.loads(SNAPSHOT.read_bytes())  # noqa: S301 (the package's own build output)
    return load_catalogue()


def get_service(service_id: str) -> EService | None:
    return catalogue().get(service_id)


@lru_cache(maxsize=1)
def divisions() -> dict[str, dict[str, str]]:
    return load_divisions()


def division_name(division_id: str, language: str) -> str:
    names = divisions()[division_id]
    return names.get(language, names["fi"])
