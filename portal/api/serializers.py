"""Serializer bases shared by the API."""

from __future__ import annotations

import copy
from typing import Any, TypeVar

from django.db import models
from rest_framework import serializers
from rest_framework.fields import Field

M = TypeVar("M", bound=models.Model)


# A ``ModelSerializer`` whose fields are derived from the model once per class instead of once per instance. DRF
# builds a ModelSerializer's fields from the model's fields on every instantiation (labels, choices, kwargs: most of
# a small read's serialization); here they are built on first use and each instance gets a deep copy, which DRF
# makes by re-instantiating every field from its arguments, as it does for declared fields. Only for serializers
# whose fields depend on nothing but their ``Meta`` and declarations (not on the instance or the context). A comment,
# not a docstring: drf-spectacular would publish a docstring as every subclass's schema description.
class FieldsOnceModelSerializer(serializers.ModelSerializer[M]):
    _fields_built: dict[str, Field[Any, Any, Any, Any]] | None = None

    def get_fields(self) -> dict[str, Field[Any, Any, Any, Any]]:
        built = type(self).__dict__.get("_fields_built")
        if built is None:
            built = super().get_fields()
            type(self)._fields_built = built  # never bound itself: every instance binds its own copy
        return copy.deepcopy(built)
