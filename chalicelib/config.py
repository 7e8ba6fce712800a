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
    # Where the portal sends people who want the City's privacy notices.
    privacy_notice_url: str = "https://www.hel.fi/en/decision-making/information-on-helsinki/data-protection"

    @property
    def secure_cookies(self) -> bool:
        """Cookies carry the Secure flag everywhere but on a developer's own plain-HTTP machine."""
        return self.stage not in ("local", "test")


@lru_cache(maxsize=1)
def settings() -> Settings:
    return Settings()
