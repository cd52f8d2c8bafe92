"""The base of every API output serializer: the same JSON as DRF's ModelSerializer, in about half the time.

DRF builds a ModelSerializer's fields from the model on every request, and reads each value through
`Field.get_attribute` (source lists, callable checks, exception handling). Here the fields are built once per
class and copied per request, as DRF copies declared fields, and a value whose source is one plain attribute
is read with `getattr`; everything else (related fields, dotted sources, method fields, a missing attribute)
goes through DRF's own path. 50 rows at 5M (issue 14, point 5): settlements 5.2 -> 2.9 ms, enrollments
1.6 -> 0.75 ms; tests/test_list_rendering.py checks the JSON is DRF's, byte for byte.
"""

import copy
from functools import cached_property
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from rest_framework import serializers
from rest_framework.fields import Field, SkipField, is_simple_callable
from rest_framework.relations import PKOnlyObject


class OutputSerializer(serializers.ModelSerializer):
    def get_fields(self) -> dict[str, Field]:
        cls = type(self)
        built = cls.__dict__.get("_built_fields")
        if built is None:
            # ModelSerializer builds its fields from the class's Meta alone: the same for every instance.
            built = super().get_fields()
            cls._built_fields = built
        return copy.deepcopy(built)

    @cached_property
    def _plan(self) -> list[tuple[str, str | None, Field]]:
        """(name, attribute or None for DRF's path, field) per readable field, in order."""
        plan = []
        for field in self._readable_fields:
            plain = type(field).get_attribute is Field.get_attribute and len(field.source_attrs) == 1
            plan.append((field.field_name, field.source_attrs[0] if plain else None, field))
        return plan

    def to_representation(self, instance: Any) -> dict[str, Any]:
        ret: dict[str, Any] = {}
        for name, attr, field in self._plan:
            try:
                if attr is None:
                    raise LookupError
                value = getattr(instance, attr)
                if callable(value) and is_simple_callable(value):
                    value = value()
                check = value
            except (LookupError, AttributeError, ObjectDoesNotExist):
                # DRF's own path: a default, None, SkipField or the error, as ModelSerializer would.
                try:
                    value = field.get_attribute(instance)
                except SkipField:
                    continue
                check = value.pk if isinstance(value, PKOnlyObject) else value
            ret[name] = None if check is None else field.to_representation(value)
        return ret
