"""What differs between the deployed stages (dev, prod).

The Chalice stage's own variables (``PORTAL_STAGE``, ``PORTAL_TABLE_PREFIX``) come from
``.chalice/config.json``, the one place the application's stages are defined. Addresses that exist
only once a stage is deployed (its public URL, the City's identity broker, the sender of e-mails)
come from CDK context, e.g. ``make deploy STAGE=prod CONTEXT="-c prod:public_base_url=https://..."``
(see docs/operations.md); the defaults below are placeholders that synthesize but are not meant to
serve residents.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, fields
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAGES = ("dev", "prod")
APP_NAME = "city-eservices"


@dataclass(frozen=True)
class StageSettings:
    name: str
    environment: dict  # the Chalice stage's environment variables (.chalice/config.json)
    # Deployment choices
    retain_data: bool  # tables and the bucket: deletion protection, RETAIN on stack removal
    log_retention_days: int
    # Addresses (CDK context "<stage>:<field>" overrides these)
    public_base_url: str
    oidc_issuer: str
    oidc_client_id: str
    # client_secret_basic | client_secret_post | private_key_jwt (then the secret's oidc_private_key)
    oidc_client_auth_method: str
    oidc_id_token_algorithms: str  # comma-separated allow-list (docs/identity.md)
    # The Helsinki profile service's GraphQL (the personal identity code, docs/identity.md): "" = the
    # bundled stand-in (not in prod, where a sign-in without it gets a 503 page)
    profile_api_url: str
    # Suomi.fi e-Authorizations (docs/acting-on-behalf.md): "" = the bundled stand-in (not in prod)
    authorizations_base_url: str
    authorizations_client_id: str
    notification_sender: str
    sms_sender_id: str
    alarm_email: str
    failed_notifications_threshold: int

    @property
    def table_prefix(self) -> str:
        return self.environment["PORTAL_TABLE_PREFIX"]

    @property
    def stack_name(self) -> str:
        return f"{APP_NAME}-{self.name}"

    def app_settings(self):
        """The application's Settings for this stage (what ``dev_idp_enabled`` and friends say)."""
        from chalicelib.config import Settings

        return Settings.from_environment(self.environment)


_DEFAULTS = {
    "dev": dict(
        retain_data=False, log_retention_days=30,
        public_base_url="https://dev.asiointi.example.fi", oidc_issuer="",  # "": the bundled provider
        oidc_client_id="city-eservices-portal", notification_sender="no-reply@dev.asiointi.example.fi",
        oidc_client_auth_method="client_secret_basic", oidc_id_token_algorithms="RS256,PS256,ES256",
        profile_api_url="", authorizations_base_url="", authorizations_client_id="city-eservices-portal",
        sms_sender_id="", alarm_email="", failed_notifications_threshold=5,
    ),
    "prod": dict(
        retain_data=True, log_retention_days=365,
        public_base_url="https://asiointi.example.fi", oidc_issuer="https://tunnistus.example.fi",
        oidc_client_id="city-eservices-portal", notification_sender="no-reply@asiointi.example.fi",
        oidc_client_auth_method="client_secret_basic", oidc_id_token_algorithms="RS256,PS256,ES256",
        profile_api_url="https://profiili-api.example.fi/graphql/",
        authorizations_base_url="https://asiointivaltuustarkastus.suomi.fi", authorizations_client_id="city-eservices-portal",
        sms_sender_id="Helsinki", alarm_email="", failed_notifications_threshold=5,
    ),
}


def stage_settings(name: str, context=lambda key: None) -> StageSettings:
    """The settings of stage ``name``; ``context(key)`` reads CDK context (``app.node.try_get_context``)."""
    config = json.loads((ROOT / ".chalice" / "config.json").read_text(encoding="utf-8"))
    environment = {**config.get("environment_variables", {}), **config["stages"][name]["environment_variables"]}
    values = dict(_DEFAULTS[name])
    for f in fields(StageSettings):
        override = context(f"{name}:{f.name}")
        if override is not None and f.name in values:
            values[f.name] = type(values[f.name])(override) if not isinstance(values[f.name], bool) else \
                str(override).lower() in ("1", "true", "yes")
    if not values["oidc_issuer"]:
        values["oidc_issuer"] = values["public_base_url"].rstrip("/") + "/dev-idp"
    if not values["profile_api_url"]:
        values["profile_api_url"] = values["public_base_url"].rstrip("/") + "/dev-profile/graphql"
    if not values["authorizations_base_url"]:
        values["authorizations_base_url"] = values["public_base_url"].rstrip("/") + "/dev-authorizations"
    return StageSettings(name=name, environment=environment, **values)
