"""The staff console: login, roles, CSRF, audit, dashboard; features mount on it."""
