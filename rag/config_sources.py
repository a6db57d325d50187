"""Reading setting values from TOML files and environment strings, typed like their defaults."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from rag.errors import ConfigError


def coerce(name: str, raw: Any, default: Any) -> Any:
    """Convert a TOML/env value to the type of the field's default, naming the field on error."""
    try:
        if isinstance(default, bool):
            if isinstance(raw, bool):
                return raw
            return str(raw).strip().lower() in {"1", "true", "yes", "on"}
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
        if isinstance(default, tuple):
            if isinstance(raw, (list, tuple)):
                return tuple(str(item) for item in raw)
            return tuple(part for part in str(raw).split(os.pathsep) if part)
        return str(raw)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"setting {name!r}: cannot use {raw!r} ({exc})") from None


def read_toml(path: Path, groups: set[str]) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"config file {path}: {exc}") from None
    flat: dict[str, Any] = {}
    for key, value in data.items():
        # [retrieval] tables and flat keys both work; the table name is only documentation.
        flat.update(value if key in groups and isinstance(value, dict) else {key: value})
    return flat
