"""The Chalice application: registers the blueprints. Nothing else happens at import time.

Every Lambda cold start imports this module, and with it Chalice, pydantic and the rest: hundreds
of thousands of long-lived objects, among which Python's cyclic garbage collector would run over a
hundred times finding nearly nothing to free. It is paused while the modules load (5% of the cold
start's instructions, counted by bench/cold_start.py: docs/benchmarks.md); at the end what they built is moved
out of its sight for good (``gc.freeze``: modules, classes and functions live as long as the
process), so that later collections look only at what requests create. The first request of a
process builds more such objects (the DynamoDB client, the templates, the catalogue): the collector
is paused for it too, and what it built is frozen as well (another 3%). A cycle of garbage that the
first request leaves is frozen with it: a few objects once per process.
"""
import gc

gc.disable()

from chalice import Chalice, Cron  # noqa: E402

from chalicelib import observability  # noqa: E402
from chalicelib.config import settings  # noqa: E402
from chalicelib.handlers import api, auth, catalogue, feedback, folder, forms, pages, privacy, profile, static  # noqa: E402

# Logs go through Powertools' JSON handler (chalicelib/observability.py): Chalice adds no handler of its own.
app = Chalice(app_name="city-eservices", configure_logs=False)
# Correlation id, access line and metrics for every invocation (requests and scheduled runs alike).
app.register_middleware(observability.middleware, "all")
# Forms with attachments post multipart/form-data: API Gateway must pass it through as binary.
app.api.binary_types.append("multipart/form-data")
app.register_blueprint(pages.bp)
app.register_blueprint(catalogue.bp)
app.register_blueprint(feedback.bp)
app.register_blueprint(auth.bp)
app.register_blueprint(profile.bp)
app.register_blueprint(forms.bp)
app.register_blueprint(folder.bp)
app.register_blueprint(privacy.bp)
app.register_blueprint(static.bp)
app.register_blueprint(api.bp, url_prefix="/api/v1")
_first_request = True


@app.middleware("http")
def first_request_without_collector(event, get_response):
    global _first_request
    if not _first_request:
        return get_response(event)
    _first_request = False
    gc.disable()
    try:
        return get_response(event)
    finally:
        gc.freeze()
        gc.enable()


if settings().dev_idp_enabled:
    from chalicelib.handlers import devidp  # only where it is mounted: never imported in prod

    devidp.register(app)
if settings().stage == "local":
    from chalicelib.handlers import outbox

    outbox.register(app)  # /dev/outbox: what the local AWS stack "sent"


@app.schedule(Cron(30, 1, "*", "*", "?", "*"))
def daily_retention(event):
    """Every night: remove the submissions (with their events and files) whose retention has ended."""
    from chalicelib.privacy.retention import remove_expired

    remove_expired()


@app.schedule(Cron(0, "*", "*", "*", "?", "*"))
def notification_sweep(event):
    """On every hour (UTC): notify customers of what is new; sends only 9-20 Helsinki time."""
    from chalicelib.notifications import run_sweep

    return run_sweep().as_dict()


gc.freeze()
gc.enable()
