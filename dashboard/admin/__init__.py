"""Staff accounts for administrators: create, edit, disable, reset a password, the audit trail."""
