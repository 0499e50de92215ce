"""Typed configuration with one precedence rule for every service.

A service declares its options as a frozen dataclass whose fields carry a default and a ``help``
string (``option(...)``). :func:`load_config` resolves each field, highest first:
command-line flags > environment (``OBJECTIO_<SECTION>_<FIELD>``) > config file (YAML or TOML,
table ``[<section>]``) > default. A bad value is a :class:`ConfigError` naming the option and
where it came from. After loading, the dataclass's ``validate()`` (if any) checks relations
between limits.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import tomllib
import types
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml

T = TypeVar("T")


class ConfigError(ValueError):
    """A configuration value is missing, malformed or inconsistent."""


def option(default: Any, help: str) -> Any:
    """Declare a config field with its default and a one-line meaning (units last in the name)."""
    if isinstance(default, list | dict):
        return dataclasses.field(default_factory=lambda: type(default)(default), metadata={"help": help})
    return dataclasses.field(default=default, metadata={"help": help})


def env_name(section: str, name: str) -> str:
    return f"OBJECTIO_{section.upper()}_{name.upper()}"


def _field_type(cls: type, field: dataclasses.Field[Any]) -> Any:
    hints = typing.get_type_hints(cls)
    return hints[field.name]


def _coerce(value: Any, typ: Any, where: str) -> Any:
    origin = typing.get_origin(typ)
    args = typing.get_args(typ)
    if origin in (types.UnionType, typing.Union):
        non_none = [a for a in args if a is not type(None)]
        if value is None or (isinstance(value, str) and value.lower() in ("", "none", "null")):
            return None
        return _coerce(value, non_none[0], where)
    if origin is list:
        items = [s.strip() for s in value.split(",") if s.strip()] if isinstance(value, str) else value
        if not isinstance(items, list):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        return [_coerce(item, args[0] if args else str, where) for item in items]
    try:
        if typ is bool:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off"):
                return False
            raise ValueError(value)
        if typ is int:
            if isinstance(value, bool):
                raise ValueError(value)
            return int(value, 0) if isinstance(value, str) else int(value)
        if typ is float:
            return float(value)
        if typ is str:
            if not isinstance(value, str):
                raise ValueError(value)
            return value
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: {value!r} is not a valid {getattr(typ, '__name__', typ)}") from None
    raise ConfigError(f"{where}: unsupported option type {typ!r}")


def read_config_file(path: Path) -> dict[str, Any]:
    """Parse a YAML (.yaml/.yml) or TOML (.toml) config file into nested dicts."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(f"config file {path}: {exc.strerror}") from None
    try:
        data = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"config file {path}: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path}: top level must be a table")
    return data


def load_config(
    cls: type[T],
    section: str,
    *,
    flags: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    file: Path | None = None,
) -> T:
    """Build ``cls`` from flags > env > file[section] > defaults (see module docstring)."""
    env = os.environ if env is None else env
    flags = flags or {}
    file_values: dict[str, Any] = {}
    if file is not None:
        raw = read_config_file(file).get(section, {})
        if not isinstance(raw, dict):
            raise ConfigError(f"config file {file}: [{section}] must be a table")
        file_values = raw
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = set(file_values) - set(fields)
    if unknown:
        raise ConfigError(f"config file {file}: unknown option(s) in [{section}]: {sorted(unknown)}")
    values: dict[str, Any] = {}
    for name, field in fields.items():
        typ = _field_type(cls, field)
        if flags.get(name) is not None:
            values[name] = _coerce(flags[name], typ, f"--{name.replace('_', '-')}")
        elif env_name(section, name) in env:
            values[name] = _coerce(env[env_name(section, name)], typ, env_name(section, name))
        elif name in file_values:
            values[name] = _coerce(file_values[name], typ, f"{file}: {section}.{name}")
    config = cls(**values)
    validate = getattr(config, "validate", None)
    if callable(validate):
        validate()
    return config


def add_config_flags(parser: argparse.ArgumentParser, cls: type) -> None:
    """Add one ``--field-name`` flag per config field (all default to None = not given)."""
    for field in dataclasses.fields(cls):
        help_text = field.metadata.get("help", "")
        parser.add_argument(f"--{field.name.replace('_', '-')}", dest=field.name, default=None, help=help_text)
    parser.add_argument("--config", dest="config_file", default=None, help="YAML or TOML config file")


def load_from_args(cls: type[T], section: str, args: argparse.Namespace) -> T:
    flags = {f.name: getattr(args, f.name, None) for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    file = getattr(args, "config_file", None) or os.environ.get("OBJECTIO_CONFIG")
    return load_config(cls, section, flags=flags, file=Path(file) if file else None)


def describe(cls: type, section: str) -> Sequence[tuple[str, str, Any, str]]:
    """(option, environment variable, default, meaning) for every field: feeds the sample config."""
    rows = []
    for field in dataclasses.fields(cls):
        default = field.default if field.default is not dataclasses.MISSING else field.default_factory()  # type: ignore[misc]
        rows.append((field.name, env_name(section, field.name), default, field.metadata.get("help", "")))
    return rows
