"""The cold start's garbage-collector handling: one small context manager (standard library only).

Every Lambda cold start imports app.py, and with it Chalice, pydantic and the rest: hundreds of
thousands of long-lived objects, among which Python's cyclic garbage collector would run over a
hundred times finding nearly nothing to free. ``collector_paused()`` pauses it for a block and, at
the end, moves what the block built out of its sight for good (``gc.freeze``: modules, classes and
functions live as long as the process), so that later collections look only at what requests
create. app.py uses it for its imports (5% of the cold start's instructions, counted by
bench/cold_start.py: docs/benchmarks.md) and, through ``first_request_collector_paused``, for the
process's first request, which builds more such objects (the DynamoDB client, the templates, the
catalogue: another 3%). A cycle of garbage that the first request leaves is frozen with it: a few
objects once per process.
"""
import gc


class collector_paused:  # noqa: N801 - used like a function: ``with collector_paused():``
    """Pause the cyclic garbage collector for the block; on leaving it (also by an exception),
    freeze every object alive and collect as usual again."""

    def __enter__(self):
        gc.disable()
        return self

    def __exit__(self, *exc_info) -> bool:
        gc.freeze()
        gc.enable()
        return False


def first_request_collector_paused():
    """An HTTP middleware ``(event, get_response)`` that runs the process's first request with the
    collector paused (then frozen) and every later one untouched."""
    first = [True]

    def middleware(event, get_response):
        if not first[0]:
            return get_response(event)
        first[0] = False
        with collector_paused():
            return get_response(event)

    return middleware
