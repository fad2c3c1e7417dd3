"""The ``kontor`` command line, on the SDK. ``python -m kontor_client.cli`` runs it too."""

from kontor_client.cli.main import app, main

__all__ = ["app", "main"]
