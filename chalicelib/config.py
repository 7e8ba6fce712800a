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
    # Sends (e-mails + text messages) per second over the whole sweep, shared by its threads (SES and SNS quotas).
    notification_rate_per_second: float = 10.0
    # Threads that notify customers in parallel during one sweep.
    notification_workers: int = 8
    # How long a sweep's claim on one profile lasts; longer than the Lambda's timeout, so that a claim
    # never expires while its sweep is still working on the profile.
    notification_lease_seconds: int = 900
    # A sweep stops claiming new profiles after this long (the rest wait for the next hour); keep it
    # well below the sweep Lambda's timeout (900 s: SCHEDULED_TIMEOUT_SECONDS in infra/portal_stack.py).
    notification_budget_seconds: int = 720
    # Changes younger than this wait for the next sweep, so that the owner-updated index (eventually
    # consistent) surely shows everything the pending marker stands for.
    notification_settle_seconds: int = 15
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
    def accept_test_identity_codes(self) -> bool:
        """Personal identity codes with individual numbers 900-999 are test and temporary codes (the
        help guide's "Nordea Testaaja" is 210281-9988); production accepts only real ones."""
        return self.stage != "prod"

    @property
    def redirect_uri(self) -> str:
        return f"{self.public_base_url.rstrip('/')}/auth/callback"

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
