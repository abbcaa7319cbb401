"""Flags and YAML into the typed configs of ``config.py``: one flag per dataclass field (``--name`` and
``--name-with-dashes``), defaults < ``--config YAML`` < flags, values coerced and named when wrong.

Written for these dataclasses rather than ``HfArgumentParser``, which would import transformers first.
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import json
import os
import types
import typing
from typing import Any, TypeVar

T = TypeVar("T")


def _unwrap(annotation: Any) -> Any:
    """``X | None`` -> ``X``."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return args[0]
    return annotation


def _coerce(value: Any, kind: Any, where: str) -> Any:
    kind = _unwrap(kind)
    if value is None:
        return None
    if kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "yes", "1", "false", "no", "0"):
            return value.lower() in ("true", "yes", "1")
        raise ValueError(f"{where}: expected true or false, got {value!r}")
    if kind is dict:
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError as error:
                raise ValueError(f"{where}: expected a JSON object ({error.msg})") from None
        if not isinstance(value, dict):
            raise ValueError(f"{where}: expected a mapping, got {value!r}")
        return value
    if kind is float and isinstance(value, (int, float, str)) and not isinstance(value, bool):
        try:
            return float(value)
        except ValueError:
            raise ValueError(f"{where}: expected a number, got {value!r}") from None
    if kind is int and not isinstance(value, bool):
        if isinstance(value, int):
            return value
        if isinstance(value, str) and value.lstrip("-").isdigit():
            return int(value)
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise ValueError(f"{where}: expected an integer, got {value!r}")
    if kind is str:
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise ValueError(f"{where}: expected a string, got {value!r}")
        return str(value)
    return value


def add_dataclass_arguments(parser: argparse.ArgumentParser, cls: type) -> None:
    """One flag per field; defaults are left out so that only flags actually given override YAML."""
    hints = typing.get_type_hints(cls)
    parser.add_argument("--config", metavar="YAML", help="YAML file of settings; flags override it")
    for old in getattr(cls, "RENAMED", {}):  # the old spelling is named in the error, not unknown
        parser.add_argument(f"--{old}", dest=old, default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    for f in dataclasses.fields(cls):
        kind = _unwrap(hints[f.name])
        default = _default(f)
        text = f.metadata.get("help", "")
        help_text = (text if "(default" in text else f"{text} (default: {default!r})").replace("%", "%%")
        names = [f"--{f.name}"] + ([f"--{f.name.replace('_', '-')}"] if "_" in f.name else [])
        names += [f.metadata["short"]] if "short" in f.metadata else []
        common: dict[str, Any] = {"dest": f.name, "default": argparse.SUPPRESS, "help": help_text}
        if f.metadata.get("positional"):
            parser.add_argument(
                f.name, metavar=f.name.upper(), help=help_text, nargs="?", default=argparse.SUPPRESS
            )
        elif kind is bool and f.name.startswith("no_"):  # already a negation: no --no-no_cache
            parser.add_argument(*names, action="store_true", **common)
        elif kind is bool:
            parser.add_argument(*names, action=argparse.BooleanOptionalAction, **common)
        elif "const" in f.metadata:
            parser.add_argument(
                *names, nargs="?", const=f.metadata["const"], metavar=f.name.upper(), **common
            )
        else:
            parser.add_argument(
                *names,
                choices=f.metadata.get("choices"),
                metavar=None if f.metadata.get("choices") else f.name.upper(),
                **common,
            )


def load_yaml(path: str) -> dict[str, Any]:
    import yaml

    if not os.path.isfile(path):
        raise ValueError(f"--config {path}: no such file")
    with open(path, encoding="utf-8") as handle:
        try:
            data = yaml.safe_load(handle) or {}
        except yaml.YAMLError as error:
            raise ValueError(f"{path}: invalid YAML: {error}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping of settings at the top level")
    return data


def _default(f: dataclasses.Field) -> Any:
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return f.default


def config_from_namespace(cls: type[T], namespace: argparse.Namespace) -> T:
    """Dataclass defaults < YAML (``namespace.config``) < the flags present in ``namespace``."""
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]  # T is a dataclass
    values: dict[str, Any] = {}
    config_path = getattr(namespace, "config", None)
    renamed = getattr(cls, "RENAMED", {})
    for old, new in renamed.items():
        if old in vars(namespace):
            raise ValueError(f"--{old} is now --{new} here (--{old} is another setting elsewhere)")
    if config_path:
        for key, value in load_yaml(config_path).items():
            if key in renamed:
                raise ValueError(f"{config_path}: setting {key!r} is now {renamed[key]!r} for {cls.__name__}")
            if key not in names:
                close = difflib.get_close_matches(key, sorted(names), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise ValueError(f"{config_path}: unknown setting {key!r}{hint}")
            values[key] = _coerce(value, hints[key], f"{config_path}: {key}")
    for key in names:
        if key in vars(namespace):
            values[key] = _coerce(getattr(namespace, key), hints[key], f"--{key}")
    return cls(**values)


def save_config(config: Any, path: str) -> None:
    """The resolved config as YAML (atomically), to reproduce the run with ``--config``."""
    import yaml

    from prover.io import atomic_write_text

    atomic_write_text(path, yaml.safe_dump(dataclasses.asdict(config), sort_keys=False, allow_unicode=True))
