"""Checked reading of back-end JSON objects into typed Python values.

Error messages name the field path and what was expected, never the value:
values may be personal data, and these messages reach the logs.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar

__all__ = ["Fields", "PayloadError"]

E = TypeVar("E", bound=Enum)

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONEY = re.compile(r"^-?\d+\.\d{2}$")
_HHMM = re.compile(r"^\d{2}:\d{2}$")


class PayloadError(ValueError):
    """A back-end answer does not have the documented shape."""


class Fields:
    """One JSON object, read field by field with type checks."""

    def __init__(self, data: object, where: str) -> None:
        """Wraps ``data``, which must be a JSON object.

        Args:
            data: The decoded JSON value.
            where: Its path, for error messages (``ViolationReport.summary``).
        """
        if not isinstance(data, dict):
            raise PayloadError(f"{where}: expected an object")
        self._data: dict[str, Any] = data
        self.where = where

    def _fail(self, name: str, expected: str) -> PayloadError:
        return PayloadError(f"{self.where}.{name}: expected {expected}")

    def _value(self, name: str) -> Any:
        if name not in self._data:
            raise PayloadError(f"{self.where}.{name}: missing")
        return self._data[name]

    def text(self, name: str) -> str:
        """A required string."""
        value = self._value(name)
        if not isinstance(value, str):
            raise self._fail(name, "a string")
        return value

    def opt_text(self, name: str) -> str | None:
        """A string, or None when null or absent."""
        return None if self._data.get(name) is None else self.text(name)

    def integer(self, name: str) -> int:
        """A required integer (booleans are not integers here)."""
        value = self._value(name)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._fail(name, "an integer")
        return value

    def day(self, name: str) -> dt.date:
        """A ``YYYY-MM-DD`` date."""
        value = self.text(name)
        try:
            if _DATE.match(value):
                return dt.date.fromisoformat(value)
        except ValueError:
            pass
        raise self._fail(name, "a YYYY-MM-DD date")

    def moment(self, name: str) -> dt.datetime:
        """An ISO 8601 time with its UTC offset (an aware datetime)."""
        value = self.text(name)
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            parsed = None
        if parsed is None or parsed.utcoffset() is None:
            raise self._fail(name, "an ISO 8601 time with offset")
        return parsed

    def opt_moment(self, name: str) -> dt.datetime | None:
        """A time with offset, or None when null or absent."""
        return None if self._data.get(name) is None else self.moment(name)

    def clock(self, name: str) -> dt.time:
        """An ``HH:MM`` time of day."""
        value = self.text(name)
        try:
            if _HHMM.match(value):
                return dt.time.fromisoformat(value)
        except ValueError:
            pass
        raise self._fail(name, "an HH:MM time")

    def money(self, name: str) -> Decimal:
        """Yuan as a string with two decimals (``"200.00"``)."""
        value = self.text(name)
        if not _MONEY.match(value):
            raise self._fail(name, "yuan with two decimals")
        return Decimal(value)

    def choice(self, name: str, enum: type[E]) -> E:
        """One of an enumeration's values."""
        value = self._value(name)
        try:
            return enum(value)
        except ValueError:
            raise self._fail(name, f"one of {[m.value for m in enum]}") from None

    def child(self, name: str) -> Fields:
        """A nested object."""
        return Fields(self._value(name), f"{self.where}.{name}")

    def opt_child(self, name: str) -> Fields | None:
        """A nested object, or None when null or absent."""
        return None if self._data.get(name) is None else self.child(name)

    def children(self, name: str) -> list[Fields]:
        """A list of objects."""
        items = self._value(name)
        if not isinstance(items, list):
            raise self._fail(name, "a list")
        return [
            Fields(item, f"{self.where}.{name}[{i}]") for i, item in enumerate(items)
        ]

    def texts(self, name: str) -> tuple[str, ...]:
        """A list of strings."""
        items = self._value(name)
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise self._fail(name, "a list of strings")
        return tuple(items)

    def names(self) -> list[str]:
        """The object's field names."""
        return list(self._data)
