"""A real OpenID Connect provider for the tests: a small Django project with django-oauth-toolkit's OIDC support.

``python -m tests.identity.idp`` (see ``__main__``) starts it on loopback in its own process with its own SQLite
database; ``tests.identity.conftest.oidc_provider`` starts and stops it.
"""
