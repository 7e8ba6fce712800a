"""Privacy and trust: the audit trail, a customer's own data, deleting a profile, and retention."""
