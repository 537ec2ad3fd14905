"""What `etl query` runs: a named query from queries/analytics, or the SQL given.

Where it runs is a sink's read role (engine/sink.py: the warehouse or a target);
what counts as read-only is decided in engine/readonly.py.
"""

from __future__ import annotations

import difflib
import re
from typing import TYPE_CHECKING

from engine.errors import QueryError

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path


def named_or_sql(text: str, named: Mapping[str, Path]) -> str:
    """The SQL of a named query, or `text` itself when it is a statement.

    A bare word that names no query is most likely a mistyped name, not SQL.
    """
    if text in named:
        return named[text].read_text()
    if not re.fullmatch(r"\s*[A-Za-z_][\w-]*\s*", text):
        return text
    close = difflib.get_close_matches(text.strip(), list(named), n=1, cutoff=0.6)
    hint = f"did you mean '{close[0]}'? " if close else ""
    msg = (
        f"'{text.strip()}' is not a named query; {hint}etl query --list shows the names"
    )
    raise QueryError(msg)
