"""Logs and metrics for operations (aws-lambda-powertools), wired into every invocation by ``middleware``.

- **Logs** are one JSON object a line (Powertools ``Logger``, service ``city-eservices``) with a
  ``correlation_id``: API Gateway's request id for a request, the EventBridge event id for a scheduled
  run. Our loggers (``portal.*``) and Chalice's own (``app.log``, the ``city-eservices`` logger) write
  through the same handler, once: ``app.py`` creates the app with ``configure_logs=False`` so that
  Chalice adds no handler of its own, and the loggers do not propagate to the Lambda runtime's root
  handler. Every request ends with one access line: method, *route template* (never the path or
  query, which may carry identifiers), status and duration.
- **Personal data never reaches a log line.** Code logs reasons and route templates, never values;
  in addition the formatter leaves out exception *messages* (an exception's text may quote the
  input, e.g. pydantic's ``input_value``): a traceback is logged as its frames (file, line,
  function; no source text) and the exception's type only. As a last line of defence, anything
  shaped like a personal identity code, an e-mail address or a phone number is masked in every line.
- Logs and metrics go to **stderr** (CloudWatch Logs gets stdout and stderr alike); stdout is left to
  the ops commands' own output.
- **Metrics** are CloudWatch embedded metric format (EMF) lines in namespace ``CityEservices`` with
  the dimensions ``service`` and ``stage`` (plus ``method`` for sign-ins, ``channel`` for notifications,
  ``function`` for failed scheduled runs). ``count()`` collects them during an invocation and the
  middleware writes them at its end, one line per dimension set; outside an invocation (scripts) they
  are written at once. A scheduled function's returned report becomes metrics too (``REPORT_METRICS``:
  the notification sweep's e-mails, texts and failed sends).

Nothing here is imported or set up before the first invocation: Powertools loads on first use.
"""
from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from contextvars import ContextVar
from functools import lru_cache

SERVICE = "city-eservices"
NAMESPACE = "CityEservices"
LOGGER_NAMES = ("portal", SERVICE)  # our loggers (portal.*) and Chalice's app.log

# Metric names: the alarms and the dashboard (infra/) use the same constants.
SIGN_INS = "SignIns"  # dimension method: bank | mobile | card | katso
SUBMISSIONS_SENT = "SubmissionsSent"
STATUS_UPDATES = "StatusUpdates"
NOTIFICATIONS_SENT = "NotificationsSent"
NOTIFICATIONS_FAILED = "NotificationsFailed"
SCHEDULED_FAILURES = "ScheduledRunFailures"  # dimension function: a scheduled function that raised
MALWARE_SCANS_OVERDUE = "MalwareScansOverdue"  # files with no scan result after scan_overdue_minutes
MALWARE_THREATS_FOUND = "MalwareThreatsFound"  # scan results THREATS_FOUND
MALWARE_SCAN_PROBLEMS = "MalwareScanProblems"  # scan results UNSUPPORTED, ACCESS_DENIED or FAILED

# What a scheduled function returns (its report) that the middleware turns into metrics: the
# notification sweep's report (chalicelib.notifications.sweep.SweepReport.as_dict()).
REPORT_METRICS = {
    "emails": (NOTIFICATIONS_SENT, {"channel": "email"}),
    "texts": (NOTIFICATIONS_SENT, {"channel": "sms"}),
    "failed_sends": (NOTIFICATIONS_FAILED, {}),
    # The malware scan check's report (chalicelib.scanning.WatchReport.as_dict()).
    "overdue_scans": (MALWARE_SCANS_OVERDUE, {}),
}

_pending: ContextVar[list | None] = ContextVar("pending_metrics", default=None)
_cold = True

# Defence in depth: shapes of personal data masked in every log line.
_MASKS = (
    (re.compile(r"\b\d{6}[-+A-FU-Y]\d{3}[0-9A-Y]\b", re.IGNORECASE), "[personal identity code]"),
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[e-mail]"),
    (re.compile(r"(?<![\w+])\+\d[\d ()-]{6,18}\d\b"), "[phone]"),
    (re.compile(r"\b0[45]\d[ -]?\d{3}[ -]?\d{3,4}\b"), "[phone]"),
)


def mask(text: str) -> str:
    for pattern, replacement in _MASKS:
        text = pattern.sub(replacement, text)
    return text


def count(name: str, value: float = 1, **dimensions: str) -> None:
    """Add to a metric (a count) for this invocation, e.g. ``count(SIGN_INS, method="bank")``."""
    entry = (name, value, tuple(sorted(dimensions.items())))
    pending = _pending.get()
    if pending is None:
        _write_metrics([entry])
    else:
        pending.append(entry)


def _stage() -> str:
    from chalicelib.config import settings

    return settings().stage


def _write_metrics(entries: list) -> None:
    if not entries:
        return
    from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

    groups: dict[tuple, dict[str, float]] = {}
    for name, value, dimensions in entries:
        values = groups.setdefault(dimensions, {})
        values[name] = values.get(name, 0) + value
    for dimensions, values in groups.items():
        metrics = EphemeralMetrics(namespace=NAMESPACE, service=SERVICE)
        metrics.add_dimension(name="stage", value=_stage())
        for key, value in dimensions:
            metrics.add_dimension(name=key, value=str(value))
        for name, value in values.items():
            metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
        # What flush_metrics() prints, written to stderr like the logs (see _Stderr).
        sys.stderr.write(json.dumps(metrics.serialize_metric_set(), separators=(",", ":")) + "\n")
        sys.stderr.flush()


class _Stderr(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time. Lambda sends stdout and stderr alike to
    CloudWatch Logs (where EMF lines become metrics); stdout stays free for the output of ops
    commands, and a test's captured stream is used while it is in place."""

    def __init__(self):
        super().__init__(sys.stderr)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value):
        pass


def _safe_formatter():
    from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

    class SafeFormatter(LambdaPowertoolsFormatter):
        """Powertools' JSON, with exceptions as type and frames only, and personal data masked."""

        def formatException(self, exc_info) -> str:  # noqa: N802 (logging's name)
            import traceback

            kind, _value, tb = exc_info
            # Where, not what: no exception text and no source lines (either may quote a value).
            frames = "".join(f'  File "{f.filename}", line {f.lineno}, in {f.name}\n'
                             for f in traceback.extract_tb(tb))
            return f"Traceback (most recent call last):\n{frames}{kind.__module__}.{kind.__qualname__}"

        def _extract_log_exception(self, log_record):
            formatted, name, _notes = super()._extract_log_exception(log_record)
            return formatted, name, None  # notes are free text too

        def serialize(self, log) -> str:
            return mask(super().serialize(log))

    return SafeFormatter(serialize_stacktrace=False, utc=True, use_rfc3339=True)


@lru_cache(maxsize=1)
def logger():
    """The Powertools logger; our loggers and Chalice's write through its handler."""
    from aws_lambda_powertools.logging.logger import Logger

    log = Logger(service=SERVICE, logger_formatter=_safe_formatter(), logger_handler=_Stderr())
    handler = log.registered_handler
    for name in LOGGER_NAMES:
        stdlib = logging.getLogger(name)
        if handler not in stdlib.handlers:
            stdlib.handlers = [h for h in stdlib.handlers if not isinstance(h, logging.StreamHandler)] + [handler]
        stdlib.setLevel(log.log_level)
        stdlib.propagate = False
    return log


def _correlation_id(event) -> str:
    """API Gateway's request id for a request, the EventBridge event id for a scheduled run, the SQS
    message id for a queue message (the notification worker)."""
    request_context = getattr(event, "context", None)
    if hasattr(event, "method") and isinstance(request_context, dict):  # an HTTP request
        return request_context.get("requestId") or uuid.uuid4().hex
    if getattr(event, "event_id", None):
        return event.event_id
    records = getattr(event, "to_dict", lambda: {})().get("Records") or []
    first = records[0] if records and isinstance(records[0], dict) else {}
    return first.get("messageId") or uuid.uuid4().hex


def _function_name(event) -> str | None:
    """The app's name of the function (``notification_sweep``): Lambda's handler setting is
    ``app.<name>``; the function's own name on AWS has the stack's prefix and a random suffix."""
    from chalicelib.config import lambda_handler

    handler = lambda_handler()
    if handler.startswith("app.") and handler != "app.app":
        return handler[4:]
    context = getattr(event, "lambda_context", None) or getattr(event, "context", None)
    return getattr(context, "function_name", None)


def _report_metrics(report) -> None:
    if isinstance(report, dict):
        for key, (name, dimensions) in REPORT_METRICS.items():
            value = report.get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                count(name, value, **dimensions)


def middleware(event, get_response):
    """Chalice middleware for every event type: correlation id, access line, metrics flushed at the end."""
    global _cold
    log = logger()
    log.set_correlation_id(_correlation_id(event))
    cold, _cold = _cold, False
    http = hasattr(event, "method")
    token = _pending.set([])
    started = time.perf_counter()
    try:
        response = get_response(event)
        if not http:
            _report_metrics(response)
    except Exception:
        if not http:
            _pending.get().append((SCHEDULED_FAILURES, 1, (("function", _function_name(event) or "unknown"),)))
        log.exception("invocation failed", extra={"function": _function_name(event), "cold_start": cold})
        raise
    finally:
        entries = _pending.get() or []
        _pending.reset(token)
        try:
            _write_metrics(entries)
        except Exception:  # metrics must never break an answer
            log.exception("writing metrics failed")
    duration_ms = round((time.perf_counter() - started) * 1000, 1)
    if http:
        log.info("request", extra={"http_method": event.method, "route": event.path,
                                   "status": getattr(response, "status_code", None), "duration_ms": duration_ms,
                                   "cold_start": cold})
    else:
        log.info("scheduled run", extra={"function": _function_name(event), "duration_ms": duration_ms,
                                         "cold_start": cold})
    log.set_correlation_id(None)
    return response
