"""The generation of the public catalog: every cached public catalog and price answer (``catalog/api/caching.py``)
is stored under the generation current when it was made, and any change to catalog data -- a price list published
or withdrawn, an item, version, flavor, region, zone or price saved or deleted -- starts a new generation after its
transaction commits, so no answer from before the change is served again. Quotes (per organization) do not count.

Writes that bypass model signals (``QuerySet.update``, ``bulk_create`` in seeding) call ``catalog_changed``.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.apps import apps
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

GENERATION_KEY = "kontor:catalog:generation"
_NOT_CACHED_MODELS = {"quote", "quoteline"}  # an organization's quote and its lines


def catalog_generation(known: str | None = None) -> str:
    """The current generation (``known``: the value already read with other keys, if any)."""
    generation = known if known is not None else cache.get(GENERATION_KEY)
    if generation is None:
        generation = uuid.uuid4().hex
        if not cache.add(GENERATION_KEY, generation, timeout=None):
            generation = cache.get(GENERATION_KEY) or generation
    return str(generation)


def _new_generation() -> None:
    cache.set(GENERATION_KEY, uuid.uuid4().hex, timeout=None)


def catalog_changed() -> None:
    """Start a new generation once the current transaction commits (at once outside one)."""
    transaction.on_commit(_new_generation, robust=True)


def _on_model_change(sender: Any, **kwargs: Any) -> None:
    meta = getattr(sender, "_meta", None)
    if meta is not None and meta.app_label == "catalog" and meta.model_name not in _NOT_CACHED_MODELS:
        catalog_changed()


def connect_receivers() -> None:
    """Listen to the catalog's own models only: a ``post_delete`` receiver for every sender would keep Django from
    deleting any model's rows in one statement (the collector reads each row first when a model has listeners)."""
    for model in apps.get_app_config("catalog").get_models():
        if model._meta.model_name in _NOT_CACHED_MODELS:
            continue
        for signal in (post_save, post_delete):
            signal.connect(_on_model_change, sender=model, dispatch_uid=f"catalog_generation_{id(signal)}_{model}")
        for field in model._meta.local_many_to_many:
            through = field.remote_field.through
            m2m_changed.connect(_on_model_change, sender=through, dispatch_uid=f"catalog_generation_m2m_{through}")
