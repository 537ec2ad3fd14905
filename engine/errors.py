"""The engine's exceptions: one root, one leaf per stage, one-line messages."""

from __future__ import annotations


class EtlError(Exception):
    """Root of every error the engine raises on purpose; the CLI prints it in one line."""


class ConfigError(EtlError, ValueError):
    """An option or setting is invalid."""


class SourceError(EtlError):
    """A data directory, partition folder or Parquet file cannot be used."""

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


class ContractError(EtlError):
    """Data does not match the table shape defined in sql/."""

    def __init__(
        self,
        message: str,
        *,
        table: str | None = None,
        column: str | None = None,
        path: str | None = None,
    ) -> None:
        super().__init__(message)
        self.table = table
        self.column = column
        self.path = path


class WarehouseError(EtlError):
    """The warehouse cannot be opened, is locked, or is not set up."""


class WarehouseBusyError(WarehouseError):
    """Another process writes the warehouse, so it cannot be opened now."""


class SinkError(EtlError):
    """A load into a target failed and was rolled back."""

    def __init__(self, message: str, *, table: str | None = None) -> None:
        super().__init__(message)
        self.table = table


class QueryError(EtlError):
    """A user query or a named query failed."""
