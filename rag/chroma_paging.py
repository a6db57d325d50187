"""Reading whole Chroma collections in pages.

An unpaged ``collection.get()`` over 100k records fails inside Chroma's SQLite layer ("too many
SQL variables"), and would hold every record in one response; every full read goes through here.
"""

from __future__ import annotations

from typing import Any

# Records per page. Chroma binds one SQL variable per record read with its metadata (SQLite allows
# 32,766), and each page re-scans the rows before its offset: at 200k records, pages of 5,000 took
# 17.2 s, of 20,000 5.4 s; 100,000 failed for metadata reads.
PAGE = 20000


def get_all(collection, include: list[str], where: dict | None = None) -> dict[str, list[Any]]:
    """Like ``collection.get(where=..., include=...)`` for any number of records: ids, and the
    included fields, as lists."""
    result: dict[str, list[Any]] = {"ids": [], **{field: [] for field in include}}
    offset = 0
    while True:
        page = collection.get(where=where, include=include, limit=PAGE, offset=offset)
        result["ids"].extend(page["ids"])
        for field in include:
            values = page.get(field)
            result[field].extend(values if values is not None else [])
        if len(page["ids"]) < PAGE:
            return result
        offset += PAGE
