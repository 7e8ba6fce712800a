"""One place for configuration: a pydantic Settings object read from the environment once, lazily.

Nothing else in the code base reads ``os.environ``. The Chalice stage sets these variables in
``.chalice/config.json``; tests and local scripts set them before first use and call
``settings.cache_clear()`` when they need a fresh read. One exception: the table names. Each model
class takes its table's name from ``table_prefix`` when its module is first imported
(``chalicelib/models/base.py``), so ``PORTAL_TABLE_PREFIX`` must be set before any model is imported,
and ``settings.cache_clear()`` does not rename the tables (``tests/unit/test_config.py``).

Each field ``name`` is read from ``PORTAL_<NAME>`` (or the field's ``validation_alias``) and validated
by pydantic. This is what pydantic-settings would do for these flat fields; reading the few variables
ourselves keeps pydantic-settings (and the argparse, asyncio and dotenv it imports) off every cold start.
"""
from __future__ import annotations

import os
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Stage = Literal["local", "dev", "prod", "test"]
ENV_PREFIX = "PORTAL_"


class Settings(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=False)

    @classmethod
    def from_environment(cls, environ=None) -> "Settings":
        environ = os.environ if environ is None else environ
        values = {}
        for name, field in cls.model_fields.items():
            alias = field.validation_alias if isinstance(field.validation_alias, str) else None
            key = alias or f"{ENV_PREFIX}{name.upper()}"
            if key in environ:
                values[alias or name] = environ[key]
        return cls.model_validate(values)

    stage: Stage = "local"
    # Prefix for every DynamoDB table name, so that stages never share tables.
    table_prefix: str = "eservices-local-"
    attachments_bucket: str = "eservices-local-attachments"
    aws_region: str = Field(default="eu-north-1", validation_alias="AWS_DEFAULT_REGION")
    # Set only where a stand-in for AWS answers (moto server locally); None on AWS.
    aws_endpoint_url: str | None = Field(default=None, validation_alias="AWS_ENDPOINT_URL")
    default_language: Literal["fi", "sv", "en"] = "fi"
    # Seconds that the active announcements are cached in one Lambda instance.
    announcement_cache_seconds: int = 60
    # The portal's own absolute address, for the OpenID Connect redirect URI ("http://localhost:8000").
    public_base_url: str = "http://localhost:8000"
    # OpenID Connect: the City's identity broker in production, the bundled development provider
    # (mounted at /dev-idp in the local and dev stages) elsewhere.
    oidc_issuer: str = "http://localhost:8000/dev-idp"
    oidc_client_id: str = "city-eservices-portal"
    oidc_client_secret: str = "local-development-secret"
    # How the portal authenticates at the token endpoint (docs/identity.md): client_secret_basic,
    # client_secret_post, or private_key_jwt with ``oidc_private_key``.
    oidc_client_auth_method: Literal["client_secret_basic", "client_secret_post", "private_key_jwt"] = "client_secret_basic"
    # private_key_jwt: the private key (a private JWK as JSON, or PEM), from the secret (infra/); its
    # public half is published at /auth/jwks. Empty with the other methods.
    oidc_private_key: str = ""
    # ID-token (and logout-token) signature algorithms accepted, comma-separated; asymmetric only
    # (RS*, PS*, ES*): anything else named here is ignored, ``none`` and HS* are always refused.
    oidc_id_token_algorithms: str = "RS256,PS256,ES256"
    oidc_scope: str = "openid profile"
    # The claim mapping (chalicelib/identity/claims.py, docs/identity.md "Claims"): which vocabulary
    # the provider speaks. helsinki: the City's Keycloak broker (and the bundled development
    # provider); suomifi-oidc: the national e-identification's OpenID Connect interface; generic:
    # every claim name from the settings below.
    identity_preset: Literal["helsinki", "suomifi-oidc", "generic"] = "helsinki"
    # Claim names; None = the preset's. "" = the provider does not release it (e.g. the personal
    # identity code under helsinki, read from the profile service instead; an empty Business ID
    # claim = personal sign-ins only).
    identity_claim_personal_identity_code: str | None = None
    identity_claim_given_name: str | None = None
    identity_claim_family_name: str | None = None
    identity_claim_method: str | None = None
    identity_claim_loa: str | None = None
    # The provider's method names -> the portal's methods (bank, mobile, card, eid, organisation),
    # a JSON object; "" = the preset's table. The provider's level-of-assurance values -> low,
    # substantial, high, a JSON object; "" = the preset's.
    identity_methods: str = ""
    identity_loa_values: str = ""
    # The lowest level of assurance accepted; a sign-in below it is refused with its own page.
    identity_min_loa_personal: Literal["low", "substantial", "high"] = "substantial"
    identity_min_loa_organisation: Literal["low", "substantial", "high"] = "substantial"
    # The Helsinki profile service (GraphQL), where the helsinki preset reads the personal identity
    # code. "" = the bundled stand-in at <public base URL>/dev-profile/graphql (local, dev and test
    # stages only). The token for it is exchanged at the broker's token endpoint (Keycloak UMA
    # grant, audience + permission below); "" = the token endpoint from discovery.
    profile_api_url: str = ""
    profile_api_audience: str = "profile-api"
    profile_api_permission: str = "#access"
    profile_api_token_url: str = ""
    # Seconds that each call to the profile service (and its token exchange) may take.
    profile_api_timeout_seconds: float = 5.0
    # Keyed hashes of identifiers (personal identity codes, Business IDs) use this secret pepper.
    identity_pepper: str = "local-development-pepper"
    session_idle_seconds: int = 2 * 3600
    session_absolute_seconds: int = 12 * 3600
    session_warning_seconds: int = 5 * 60
    # Drafts are removed this long after their last update (TTL, and filtered on read).
    draft_retention_days: int = 90
    # The development identity provider: how long a mobile certificate request waits for an answer.
    dev_idp_mobile_timeout_seconds: int = 120
    # Where the portal sends people who want the City's privacy notices.
    privacy_notice_url: str = "https://www.hel.fi/en/decision-making/information-on-helsinki/data-protection"
    # Notifications (the hourly sweep, chalicelib/notifications). The SES identity that sends the
    # e-mails: verified in SES (make run verifies it in moto); the display name is translated.
    notification_sender: str = "no-reply@asiointi.example.fi"
    # Alphanumeric sender ID of the text messages (max 11 characters; Finland supports them); None = SNS's default.
    notification_sms_sender_id: str | None = None
    # Consecutive sweeps with a failed send before the profile is blocked until its contact details are edited.
    notification_max_failures: int = 5
    # Delivery feedback (chalicelib/notifications/feedback.py). Every e-mail is sent with this SES
    # configuration set, whose event destination publishes bounces, complaints and rejects to the SNS
    # topic below; the portal's handler subscribes to that topic (its name is read when app.py loads).
    notification_configuration_set: str | None = "eservices-local-notifications"
    delivery_feedback_topic: str = "eservices-local-delivery-feedback"
    # Transient bounces (mailbox full, ...) block the e-mail channel only when this many e-mails bounced
    # within notification_soft_bounce_days; one permanent bounce or complaint blocks it at once.
    notification_soft_bounce_limit: int = 3
    notification_soft_bounce_days: int = 14
    # Sends (e-mails + text messages) per second over all the workers together: the SES and SNS
    # quota. Each worker sends at most rate / notification_worker_concurrency a second (fanout.py).
    notification_rate_per_second: float = Field(default=10.0, gt=0)
    # Worker functions (Lambda instances consuming the notification queue) running at once: the queue's
    # event source mapping's maximum concurrency and the worker's reserved concurrency (infra/).
    # At least 2: Lambda's smallest maximum concurrency for an SQS event source.
    notification_worker_concurrency: int = Field(default=4, ge=2, le=1000)
    # Threads that notify customers in parallel inside one worker (they share its rate).
    notification_workers: int = 8
    # How long a worker's claim on one profile lasts; longer than the worker Lambda's timeout, so that
    # a claim never expires while its worker is still working on the profile.
    notification_lease_seconds: int = 900
    # A worker stops taking new pages of its shard after this long and queues the rest of the shard as a
    # continuation message; keep it well below the worker Lambda's timeout (900 s:
    # WORKER_TIMEOUT_SECONDS in infra/portal_stack.py) minus one page's work.
    notification_budget_seconds: int = 720
    # Pending profiles a worker reads (one Query) and notifies before it checks its budget again.
    notification_page_size: int = Field(default=100, ge=1, le=1000)
    # The notification queue (SQS). On AWS the CDK app sets its URL and ARN; locally (moto) and in the
    # tests the queue is found by its name, ``<table_prefix>notifications``.
    notification_queue_url: str | None = None
    notification_queue_arn: str | None = None
    # Changes younger than this wait for the next sweep, so that the owner-updated index (eventually
    # consistent) surely shows everything the pending marker stands for.
    notification_settle_seconds: int = 15
    # Malware scanning (chalicelib/scanning; GuardDuty Malware Protection for S3 on AWS, a stand-in
    # locally). A file with no result this long after its upload counts as overdue: the scheduled
    # check's metric raises an alarm (docs/operations.md).
    scan_overdue_minutes: int = 30
    # A file GuardDuty found a threat in is deleted this long after the finding (time to investigate).
    threat_retention_days: int = 30
    # Suomi.fi e-Authorizations (chalicelib/authorizations, docs/acting-on-behalf.md): the web API's base
    # address (production: https://asiointivaltuustarkastus.suomi.fi; the bundled stand-in is mounted at
    # /dev-authorizations in the local, dev and test stages), the portal's client id, the checksum key of
    # the X-AsiointivaltuudetAuthorization header and the OAuth secret (both from the stage's secret in
    # AWS Secrets Manager, by reference: infra/portal_stack.py), the timeout of each call, and the
    # company roles (the service's role codes, comma-separated) that let a person act for a company here.
    authorizations_base_url: str = "http://localhost:8000/dev-authorizations"
    authorizations_client_id: str = "city-eservices-portal"
    authorizations_checksum_key: str = "local-development-checksum-key"
    authorizations_oauth_secret: str = "local-development-oauth-secret"
    authorizations_timeout_seconds: float = 5.0
    authorizations_company_roles: str = "NIMKO,TJ,PJ,IS,YHM,ELI"
    # The roles among those that may also delete the company's profile (and its folder) from My
    # data: the right to sign for it (Katso's main user before e-Authorizations).
    authorizations_company_delete_roles: str = "NIMKO,ELI,YHM"

    @property
    def dev_idp_enabled(self) -> bool:
        """The bundled development identity provider exists only outside production."""
        return self.stage in ("local", "dev", "test")

    @property
    def authorizations_standin_enabled(self) -> bool:
        """The bundled e-Authorizations stand-in exists only outside production, like the identity provider's."""
        return self.stage in ("local", "dev", "test")

    @property
    def accepted_company_roles(self) -> tuple[str, ...]:
        return tuple(r.strip() for r in self.authorizations_company_roles.split(",") if r.strip())

    @property
    def company_delete_roles(self) -> tuple[str, ...]:
        return tuple(r.strip() for r in self.authorizations_company_delete_roles.split(",") if r.strip())

    @property
    def accept_test_identity_codes(self) -> bool:
        """Personal identity codes with individual numbers 900-999 are test and temporary codes (the
        help guide's "Nordea Testaaja" is 210281-9988); production accepts only real ones."""
        return self.stage != "prod"

    @property
    def notification_queue_name(self) -> str:
        """The notification queue's name (its dead-letter queue adds ``-dead``)."""
        return f"{self.table_prefix}notifications"

    @property
    def notification_worker_rate(self) -> float:
        """Sends a second one worker may make, so that all of them together stay within the quota."""
        return self.notification_rate_per_second / self.notification_worker_concurrency

    @property
    def profile_api_endpoint(self) -> str:
        """The profile service's GraphQL address: the setting, or the bundled stand-in outside prod."""
        if self.profile_api_url:
            return self.profile_api_url
        if not self.dev_idp_enabled:
            raise ValueError("PORTAL_PROFILE_API_URL is required in this stage")
        return f"{self.public_base_url.rstrip('/')}/dev-profile/graphql"

    @property
    def redirect_uri(self) -> str:
        return f"{self.public_base_url.rstrip('/')}/auth/callback"

    @property
    def post_logout_redirect_uri(self) -> str:
        """Where the provider sends the browser after RP-initiated logout (register it at the provider)."""
        return f"{self.public_base_url.rstrip('/')}/signed-out"

    @property
    def secure_cookies(self) -> bool:
        """Cookies carry the Secure flag everywhere but on a developer's own plain-HTTP machine."""
        return self.stage not in ("local", "test")


@lru_cache(maxsize=1)
def settings() -> Settings:
    return Settings.from_environment()


def lambda_handler() -> str:
    """Lambda's handler setting for this invocation (``app.notification_sweep``), set by the runtime;
    read on each call, not cached, because one process serves one function but tests switch it."""
    return os.environ.get("_HANDLER", "")
