"""One place for configuration: a pydantic Settings object read from the environment once, lazily.

Nothing else in the code base reads ``os.environ``. The Chalice stage sets these variables in
``.chalice/config.json``; tests and local scripts set them before first use and call
``settings.cache_clear()`` when they need a fresh read.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

Stage = Literal["local", "dev", "prod", "test"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PORTAL_", extra="ignore")

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

    @property
    def dev_idp_enabled(self) -> bool:
        """The bundled development identity provider exists only outside production."""
        return self.stage in ("local", "dev", "test")

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
    return Settings()
