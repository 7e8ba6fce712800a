"""E-service forms: definitions as data, validation of answers, drafts, attachments and sending."""
