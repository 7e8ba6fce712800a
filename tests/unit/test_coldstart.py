"""chalicelib/coldstart.py: the collector is paused inside the block, everything alive then is
frozen when it ends (also by an exception), and the first-request middleware pauses only once."""
from __future__ import annotations

import gc

import pytest

from chalicelib.coldstart import collector_paused, first_request_collector_paused


@pytest.fixture(autouse=True)
def _collector_restored():
    assert gc.isenabled()
    yield
    gc.unfreeze()
    gc.enable()


def test_the_collector_is_paused_in_the_block_and_what_it_built_is_frozen_after():
    before = gc.get_freeze_count()
    with collector_paused():
        assert not gc.isenabled()
        built = [[i] for i in range(1000)]
    assert gc.isenabled()
    assert gc.get_freeze_count() >= before + len(built)


def test_an_exception_in_the_block_leaves_the_collector_running():
    with pytest.raises(RuntimeError):
        with collector_paused():
            raise RuntimeError("boom")
    assert gc.isenabled()


def test_the_middleware_pauses_the_collector_for_the_first_request_only():
    middleware = first_request_collector_paused()
    seen = []

    def get_response(event):
        seen.append((event, gc.isenabled()))
        return f"answer {event}"

    assert [middleware(n, get_response) for n in (1, 2, 3)] == ["answer 1", "answer 2", "answer 3"]
    assert seen == [(1, False), (2, True), (3, True)]
    assert gc.isenabled()


def test_the_module_imports_only_gc():
    import chalicelib.coldstart as module

    imported = {name for name, value in vars(module).items() if type(value) is type(gc)}
    assert imported == {"gc"}
