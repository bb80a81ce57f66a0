"""Hand-written SQL that names its tables and columns from the models, so a renamed field or table
breaks at import, not in production.

    _CLOSE = sql("UPDATE {Hold} SET {Hold.status} = %(status)s WHERE {Hold.id} = %(id)s", Hold=Hold)

`{Model}` is the model's quoted table name, `{Model.field}` a field's quoted column (by field name or
attname), `{Model.columns}` all its concrete columns in field order (the order `Model.from_db` takes),
and `{Model.new_columns}` / `{Model.new_values}` the columns of an INSERT (all but the primary key)
with a `%(attname)s` parameter for each.
Templates are formatted once, at import: the text is a module constant, as fixed as typed SQL.
"""

from __future__ import annotations

from typing import Any

from django.db import connection, models


class TableNames:
    """A model's table and columns, quoted, for `str.format` (attribute access and conversion)."""

    def __init__(self, model: type[models.Model], *, alias: str = "") -> None:
        self._model = model
        self._alias = alias

    def _quote(self, name: str) -> str:
        return connection.ops.quote_name(name)

    def _column(self, field: models.Field[Any, Any]) -> str:
        assert field.column is not None  # concrete fields have one
        column = self._quote(field.column)
        return f"{self._alias}.{column}" if self._alias else column

    def __format__(self, spec: str) -> str:
        return self._quote(self._model._meta.db_table)

    def __getattr__(self, name: str) -> str:
        if name.startswith("_"):
            raise AttributeError(name)
        if name == "columns":
            return ", ".join(self._column(field) for field in concrete_fields(self._model))
        if name == "new_columns":
            return ", ".join(self._column(field) for field in new_row_fields(self._model))
        if name == "new_values":
            return ", ".join(f"%({field.attname})s" for field in new_row_fields(self._model))
        for field in concrete_fields(self._model):
            if name in (field.name, field.attname):
                return self._column(field)
        raise AttributeError(f"{self._model.__name__} has no concrete field {name!r}")


def concrete_fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return list(model._meta.concrete_fields)


def new_row_fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    """The fields an INSERT names: every concrete one but the primary key (the database numbers it)."""
    return [field for field in concrete_fields(model) if not field.primary_key]


def attnames(model: type[models.Model]) -> list[str]:
    """The model's concrete fields' attnames in field order, as `Model.from_db` takes a row."""
    return [field.attname for field in concrete_fields(model)]


def sql(template: str, **names: type[models.Model] | TableNames | str) -> str:
    """`template` with `{Name}` and `{Name.field}` filled in from the models passed by keyword (a
    model, a `TableNames` for a table alias such as `TableNames(Hold, alias="hold")`, or literal text)."""
    values = {key: TableNames(value) if isinstance(value, type) else value for key, value in names.items()}
    return template.format(**values)
