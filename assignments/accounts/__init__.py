"""Logins: changing one's own password, and what a county organisation department does for the
accounts of its county (unlock a locked login, give a temporary password that must be changed at
the next login). Mounted at /accounts/; the audit trail is assignments.models.AccountEvent."""
