"""Optional traces (OpenTelemetry, OTLP over HTTP) and optional error reports (the Sentry protocol), both off by
default: nothing is sent anywhere unless an operator names a receiver they run themselves.

- ``KONTOR_OTEL_ENDPOINT`` (e.g. ``http://otel-collector:4318``): spans of every request (Django) and every task
  (Celery, linked to the request that sent it) are exported to ``<endpoint>/v1/traces`` in batches, service name
  ``KONTOR_OTEL_SERVICE_NAME``. The batch exporter re-creates its thread after a fork (gunicorn, Celery prefork).
- ``KONTOR_SENTRY_DSN`` (a self-hosted Sentry or GlitchTip): unhandled errors and ``logger.error`` lines as
  events, with no personal data (no cookies, no user, no request bodies) and no performance tracing.

Configured once per process at start-up (``PortalConfig.ready``).
"""

from __future__ import annotations

import logging

import sentry_sdk
from django.conf import settings
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.celery import CeleryInstrumentor
from opentelemetry.instrumentation.django import DjangoInstrumentor
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.integrations.logging import LoggingIntegration

_configured: list[str] = []


def telemetry_configure() -> list[str]:
    """Switch on what the settings name; returns what is on (``[]`` by default). Idempotent."""
    if _configured:
        return list(_configured)
    endpoint = settings.KONTOR_OTEL_ENDPOINT
    if endpoint:
        provider = TracerProvider(resource=Resource.create({SERVICE_NAME: settings.KONTOR_OTEL_SERVICE_NAME}))
        exporter = OTLPSpanExporter(endpoint=f"{endpoint.rstrip('/')}/v1/traces", timeout=5)
        provider.add_span_processor(BatchSpanProcessor(exporter))
        trace.set_tracer_provider(provider)
        DjangoInstrumentor().instrument(tracer_provider=provider)
        CeleryInstrumentor().instrument(tracer_provider=provider)  # type: ignore[no-untyped-call]
        _configured.append("opentelemetry")
    if settings.KONTOR_SENTRY_DSN:
        sentry_sdk.init(
            dsn=settings.KONTOR_SENTRY_DSN,
            environment=settings.KONTOR_SENTRY_ENVIRONMENT,
            integrations=[
                DjangoIntegration(),
                CeleryIntegration(),
                LoggingIntegration(level=logging.INFO, event_level=logging.ERROR),
            ],
            default_integrations=True,
            send_default_pii=False,
            max_request_body_size="never",
            traces_sample_rate=0.0,
        )
        _configured.append("sentry")
    return list(_configured)


def telemetry_flush(timeout: float = 5.0) -> None:
    """Send what is buffered (at shutdown, and in tests)."""
    provider = trace.get_tracer_provider()
    if isinstance(provider, TracerProvider):
        provider.force_flush(int(timeout * 1000))
    if sentry_sdk.get_client().is_active():
        sentry_sdk.flush(timeout=timeout)
