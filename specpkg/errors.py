"""Typed errors: every refusal in the package names what was wrong."""

from __future__ import annotations


class SpecError(Exception):
    """Base of every error the package raises on purpose."""


class ValidationError(SpecError, ValueError):
    """A domain value is out of range or of the wrong kind; names the field."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


class DecodeError(SpecError, ValueError):
    """Bytes that are not a well-formed message; names the offset and reason."""

    def __init__(self, offset: int, reason: str) -> None:
        self.offset = offset
        self.reason = reason
        super().__init__(f"at offset {offset}: {reason}")


class ReferenceDataMissing(SpecError, FileNotFoundError):
    """The shared reference folder (../shared/reference) is not present."""
