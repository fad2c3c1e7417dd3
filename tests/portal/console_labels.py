"""Every string the operator console shows for the catalog, reservations, provisioning, metering and billing apps:
model and field names, column and filter titles, fieldset titles, action descriptions and help texts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import label_for_field
from django.core.exceptions import FieldDoesNotExist

APPS = ("catalog", "reservations", "provisioning", "metering", "billing")

# Words that read the same in German and English.
SAME_IN_GERMAN = {
    "GPUs",
    "GPU",
    "vCPUs",
    "ID",
    "Container",
    "InfiniBand",
    "NVIDIA AI Enterprise",
    "RAM (GB)",
    "Zone",
    "Name",
    "Status",
    "Region",
    "Hostname",
    "Version",
    "Pool",
    "Problem",
    "Server",
}


def _field_names(model_admin: Any, request: Any = None) -> list[str]:
    names: list[str] = []
    for _title, options in model_admin.fieldsets or ():
        for field in options["fields"]:
            names.extend(field if isinstance(field, (list, tuple)) else [field])
    names.extend(model_admin.fields or ())
    names.extend(model_admin.readonly_fields or ())
    return names


def _admin_strings(model_admin: Any) -> Iterator[tuple[str, Any]]:
    model = model_admin.model
    where = model._meta.label
    yield where, model._meta.verbose_name
    yield where, model._meta.verbose_name_plural
    names = [n for n in model_admin.list_display if n != "__str__"] + _field_names(model_admin)
    for name in names:
        if callable(name):
            continue
        yield f"{where}.{name}", label_for_field(name, model, model_admin)
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if getattr(field, "help_text", ""):
            yield f"{where}.{name} help", field.help_text
        for _value, label in getattr(field, "flatchoices", None) or ():
            yield f"{where}.{name} choice", label
    for list_filter in model_admin.list_filter:
        if isinstance(list_filter, str):
            path = list_filter.split("__")
            current = model
            for part in path:
                field = current._meta.get_field(part)
                current = field.related_model or current
            yield f"{where} filter {list_filter}", field.verbose_name
        elif isinstance(list_filter, tuple):
            yield f"{where} filter {list_filter[0]}", model._meta.get_field(list_filter[0]).verbose_name
        else:
            yield f"{where} filter {list_filter.__name__}", list_filter.title
    for title, _options in model_admin.fieldsets or ():
        if title:
            yield f"{where} fieldset", title
    for action in model_admin.actions or ():
        function = getattr(model_admin, action) if isinstance(action, str) else action
        yield f"{where} action {action}", function.short_description


def console_strings() -> Iterator[tuple[str, Any]]:
    """(where, lazy string) for every registered model of the console's business apps and its inlines."""
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in APPS:
            continue
        yield from _admin_strings(model_admin)
        for inline_class in model_admin.inlines:
            inline = inline_class(model, admin.site)
            yield f"{inline.model._meta.label} inline", inline.verbose_name
            yield f"{inline.model._meta.label} inline", inline.verbose_name_plural
            for name in inline.fields or ():
                assert isinstance(name, str)
                yield f"{inline.model._meta.label}.{name}", label_for_field(name, inline.model, inline)
