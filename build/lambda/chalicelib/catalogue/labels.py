"""Names of the catalogue's classifications, marked for translation (message ids are English)."""
from __future__ import annotations

from chalicelib.i18n import N_

TOPIC_LABELS = {
    "social-health": N_("Social services and health care"),
    "culture-leisure": N_("Culture and leisure"),
    "transport-maps": N_("Transport and maps"),
    "city-administration": N_("City administration"),
    "housing-environment": N_("Housing and the environment"),
    "daycare-education": N_("Day care and education"),
}
TARGET_GROUP_LABELS = {
    "personal": N_("Personal customers"),
    "associations": N_("Associations"),
    "enterprises": N_("Enterprises"),
}
RESIDENT_GROUP_LABELS = {
    "children-families": N_("Children and families"),
    "youth": N_("Youth"),
    "elderly": N_("Elderly"),
    "disabled": N_("Disabled"),
    "immigrants": N_("Immigrants"),
}
ALTERNATIVE_LABELS = {
    "pdf-form": N_("Printable form (PDF)"),
    "word-form": N_("Printable form (Word)"),
    "telephone": N_("Telephone service"),
    "visit": N_("Visit in person"),
    "post": N_("By post"),
    "web": N_("Other web service"),
}
LANGUAGE_LABELS = {"fi": N_("Finnish"), "sv": N_("Swedish"), "en": N_("English")}
