"""Staff accounts, roles, sign-in sessions, API tokens and CSRF."""
