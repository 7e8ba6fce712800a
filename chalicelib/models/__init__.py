"""PynamoDB models, one module per table. Nothing of ours above this package is imported here."""
from __future__ import annotations


def all_models() -> list:
    """Every table of the portal (imported on call, so importing this package stays cheap)."""
    from chalicelib.models.agreement import AgreementModel
    from chalicelib.models.announcement import AnnouncementModel
    from chalicelib.models.api import DivisionKeyModel, IdempotencyModel
    from chalicelib.models.audit import AuditModel
    from chalicelib.models.dev_idp import DevIdpModel
    from chalicelib.models.feedback import FeedbackModel
    from chalicelib.models.forms import CounterModel, DraftModel, EventModel, SubmissionModel
    from chalicelib.models.identity import IdentityModel, ProfileModel
    from chalicelib.models.scans import ScanModel
    from chalicelib.models.session import LoginTransactionModel, PostStashModel, SessionModel

    return [AnnouncementModel, FeedbackModel, IdentityModel, ProfileModel, SessionModel, LoginTransactionModel, DevIdpModel,
            DraftModel, SubmissionModel, EventModel, CounterModel, PostStashModel, DivisionKeyModel,
            IdempotencyModel, AuditModel, ScanModel, AgreementModel]


def create_tables() -> list[str]:
    """Create every missing table with the keys, indexes and TTL the models declare; idempotent."""
    created = []
    for model in all_models():
        if not model.exists():
            model.create_table(wait=True)
            created.append(model.Meta.table_name)
        ttl = next((n for n, a in model.get_attributes().items() if a.__class__.__name__ == "TTLAttribute"), None)
        if ttl:
            model.update_ttl(ignore_update_ttl_errors=True)
    return created
