"""The Chalice application: registers the blueprints. Nothing else happens at import time.

The garbage collector is paused while the modules load and during the process's first request, and
what they built is frozen (chalicelib/coldstart.py says why).
"""
from chalicelib.coldstart import collector_paused, first_request_collector_paused

with collector_paused():
    from chalice import Chalice, Cron, Rate

    from chalicelib import observability
    from chalicelib.config import settings
    from chalicelib.handlers import (acting, api, auth, catalogue, consent, delivery, feedback, folder, forms, pages,
                                     privacy, profile, static)
    from chalicelib.web.responses import add_security_headers

    # Logs go through Powertools' JSON handler (chalicelib/observability.py): Chalice adds no handler of its own.
    app = Chalice(app_name="city-eservices", configure_logs=False)
    # Correlation id, access line and metrics for every invocation (requests and scheduled runs alike).
    app.register_middleware(observability.middleware, "all")
    # Forms with attachments post multipart/form-data: API Gateway must pass it through as binary.
    app.api.binary_types.append("multipart/form-data")
    # The receipt (a PDF) goes out base64-encoded; a browser's Accept (…, */*) lets it through as bytes
    # (docs/receipt.md, "Deployment": API Gateway also needs */* among its binary media types).
    app.api.binary_types.append("application/pdf")
    app.register_blueprint(pages.bp)
    app.register_blueprint(catalogue.bp)
    app.register_blueprint(feedback.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(acting.bp)
    app.register_blueprint(profile.bp)
    app.register_blueprint(forms.bp)
    app.register_blueprint(consent.bp)
    app.register_blueprint(folder.bp)
    app.register_blueprint(privacy.bp)
    app.register_blueprint(static.bp)
    app.register_blueprint(api.bp, url_prefix="/api/v1")
    app.register_blueprint(delivery.bp)  # bounces and complaints: SES -> SNS -> delivery_feedback
    app.register_middleware(first_request_collector_paused(), "http")
    # nosniff, CSP, frame and referrer rules (and HSTS over HTTPS) on every answer of every route.
    app.register_middleware(add_security_headers, "http")

    if settings().dev_idp_enabled:
        from chalicelib.handlers import devidp  # only where it is mounted: never imported in prod

        devidp.register(app)
        from chalicelib.handlers import devprofile  # the profile service's stand-in, likewise

        devprofile.register(app)
    if settings().authorizations_standin_enabled:
        from chalicelib.handlers import devauthorizations  # the e-Authorizations stand-in: never imported in prod

        devauthorizations.register(app)
    if settings().stage == "local":
        from chalicelib.handlers import outbox

        outbox.register(app)  # /dev/outbox: what the local AWS stack "sent"

    @app.schedule(Cron(30, 1, "*", "*", "?", "*"))
    def daily_retention(event):
        """Every night: remove the submissions (with their events and files) whose retention has ended."""
        from chalicelib.privacy.retention import remove_expired

        remove_expired()
        from chalicelib.scanning import remove_expired_threats

        remove_expired_threats()

    @app.on_cw_event({"source": ["aws.guardduty"], "detail-type": ["GuardDuty Malware Protection Object Scan Result"]})
    def malware_scan_result(event):
        """GuardDuty Malware Protection for S3 scanned a file of the attachments bucket: record the result
        (infra/portal_stack.py narrows the rule to this stage's bucket; locally scripts/malware_scanner.py
        sends the same event here)."""
        from chalicelib.scanning import record_event

        record_event(event.to_dict())

    @app.schedule(Rate(15, unit=Rate.MINUTES))
    def malware_scan_watch(event):
        """Every 15 minutes: read the tag of files still without a scan result (a lost event), and count
        those overdue into the metric that raises the alarm."""
        from chalicelib.scanning import watch

        return watch().as_dict()

    @app.schedule(Cron(0, "*", "*", "*", "?", "*"))
    def notification_sweep(event):
        """On every hour (UTC): the sweep's planner queues one message per shard of the pending index
        (only 9-20 Helsinki time); notification_worker notifies."""
        from chalicelib.notifications import fanout

        return fanout.plan().as_dict()

    # The queue by ARN where the CDK app gives one (chalice.cdk cannot take the name's Fn::Sub), else
    # by name; one message an invocation; at most notification_worker_concurrency workers at once.
    _queue = ({"queue_arn": settings().notification_queue_arn} if settings().notification_queue_arn
              else {"queue": settings().notification_queue_name})

    @app.on_sqs_message(batch_size=1, maximum_concurrency=settings().notification_worker_concurrency, **_queue)
    def notification_worker(event):
        """One shard of the pending index (or its continuation): claim, build, send, finish."""
        from chalicelib.notifications import fanout

        return fanout.work_records(event).as_dict()
