"""Typed JSON I/O for the dataclasses of every family.

:func:`from_dict` builds a (possibly nested) dataclass from parsed JSON and reports the
first problem as an :class:`~cpnopt.errors.InputError` naming the path of the field
(``tasks[3].deadline_s``). :func:`to_dict` is its inverse.

Numbers in instances, decisions and generator parameters (``checked=True``, the default)
must be finite and of magnitude at most :data:`~cpnopt.checks.MAX_MAGNITUDE` (1e12), so no
family ever computes with NaN, an infinity or an integer beyond int64; the families'
validators narrow these ranges further. Reports read back from a solution file
(``checked=False``) keep the ``"inf"`` a gap can be.
"""

from __future__ import annotations

import csv
import dataclasses
import enum
import json
import math
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

from cpnopt.checks import MAX_MAGNITUDE
from cpnopt.errors import InputError

T = TypeVar("T")


def to_dict(obj: Any) -> Any:
    """Turn dataclasses, enums, tuples and lists into plain JSON-ready values."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_dict(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, (list, tuple)):
        return [to_dict(v) for v in obj]
    if isinstance(obj, dict):
        return {str(k): to_dict(v) for k, v in obj.items()}
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, float) and not math.isfinite(obj):
        return None if math.isnan(obj) else ("inf" if obj > 0 else "-inf")
    return obj


def from_dict(cls: type[T], data: Any, path: str = "", checked: bool = True) -> T:
    """Build ``cls`` from JSON data, checking every field's type (and, if ``checked``, every number's range)."""
    try:
        return _convert(cls, data, path, checked)
    except RecursionError:
        raise InputError(path or cls.__name__, "...", "nested too deeply") from None


def _convert(tp: Any, value: Any, path: str, checked: bool) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if tp is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        non_none = [a for a in args if a is not type(None)]
        if len(non_none) == 1:
            return _convert(non_none[0], value, path, checked)
        for arg in non_none:
            try:
                return _convert(arg, value, path, checked)
            except InputError:
                continue
        raise InputError(path, value, f"expected one of {non_none}")
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise InputError(path, value, "expected an object")
        hints = typing.get_type_hints(tp)
        fields = {f.name: f for f in dataclasses.fields(tp) if f.init}
        unknown = sorted(set(value) - set(fields))
        if unknown:
            raise InputError(_join(path, unknown[0]), value[unknown[0]], "unknown field")
        kwargs = {}
        for name, field in fields.items():
            if name in value:
                kwargs[name] = _convert(hints[name], value[name], _join(path, name), checked)
            elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
                raise InputError(_join(path, name), None, "missing field")
        return tp(**kwargs)
    if origin in (tuple, list):
        if not isinstance(value, (list, tuple)):
            raise InputError(path, value, "expected a list")
        item_type = args[0] if args else Any
        items = [_convert(item_type, v, f"{path}[{i}]", checked) for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if origin is dict:
        if not isinstance(value, dict):
            raise InputError(path, value, "expected an object")
        return {k: _convert(args[1], v, _join(path, k), checked) for k, v in value.items()}
    if tp is bool:
        if not isinstance(value, bool):
            raise InputError(path, value, "expected true or false")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise InputError(path, value, "expected an integer")
        if checked and abs(value) > MAX_MAGNITUDE:
            raise InputError(
                path, value, f"out of range: integers must lie in [-{MAX_MAGNITUDE:.0e}, {MAX_MAGNITUDE:.0e}]"
            )
        return value
    if tp is float:
        if not checked and isinstance(value, str) and value in ("inf", "-inf"):
            return float(value)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InputError(path, value, "expected a number")
        if checked and not (math.isfinite(value) and abs(value) <= MAX_MAGNITUDE):
            raise InputError(
                path,
                value,
                f"out of range: numbers must be finite and lie in [-{MAX_MAGNITUDE:.0e}, {MAX_MAGNITUDE:.0e}]",
            )
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise InputError(path, value, "expected a string")
        return value
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        try:
            return tp(value)
        except ValueError:
            raise InputError(path, value, f"expected one of {[m.value for m in tp]}") from None
    raise TypeError(f"jsonio cannot convert to {tp!r}")


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def read_text(path: str | Path, what: str = "file") -> str:
    """A UTF-8 text file; a missing file, a directory or bytes that are not UTF-8 are an InputError."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(str(path), str(path), f"cannot read {what}: {exc.strerror}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(str(path), data[exc.start : exc.start + 4], f"not UTF-8 text (byte {exc.start})") from None


def read_csv_rows(path: str | Path, field: str) -> list[dict[str, str]]:
    """The rows of a CSV file with a header line, as dicts; a file that cannot be read is an InputError naming ``field``."""
    path = Path(path)
    try:
        with path.open(newline="") as handle:
            return list(csv.DictReader(handle))
    except OSError as exc:
        raise InputError(field, str(path), f"cannot read file: {exc.strerror}") from None


def read_json(path: str | Path) -> Any:
    """Parse a JSON file; a missing file, bytes that are not UTF-8, broken or too deeply nested JSON are an InputError."""
    text = read_text(path)
    try:
        return json.loads(text)  # NaN and Infinity parse; from_dict refuses them naming the field
    except json.JSONDecodeError as exc:
        raise InputError(str(path), exc.msg, f"invalid JSON at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise InputError(str(path), "...", "JSON nested too deeply") from None


def write_json(data: Any, path: str | Path) -> None:
    """Write ``data`` as JSON; a missing folder, a directory or a full disk is an InputError."""
    try:
        Path(path).write_text(json.dumps(to_dict(data), indent=2, sort_keys=False) + "\n")
    except OSError as exc:
        raise InputError(str(path), str(path), f"cannot write file: {exc.strerror}") from None
