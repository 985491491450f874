"""Where matrix axes and items come from: inline lists, ranges, files and globs.

Each source is read once at load time into a sequence (ranges stay lazy), so counting is
arithmetic and expansion is a product of indices. Problems are returned as messages for the
validator to place at the right line.
"""

from __future__ import annotations

import csv
import glob
import json
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, overload

import yaml

from orchestrator.errors import UsageError
from orchestrator.manifest.confinement import Confinement, OutsideError
from orchestrator.manifest.regular_files import NotRegularFileError, read_regular_file
from orchestrator.manifest.templates import render_value

MAX_FILE_BYTES = 512 * 1024 * 1024
MAX_RANGE_LENGTH = 10**12  # far above any maxJobs; keeps lengths within a machine int


class SourceError(UsageError, ValueError):
    """A source (range, file, glob) that cannot give values; the message is for the user."""


class FloatRange(Sequence[float]):
    """``start, start+step, ...`` below ``stop`` without materialising; tidy decimal values."""

    def __init__(self, start: float, stop: float, step: float) -> None:
        self.start, self.stop, self.step = start, stop, step
        self._length = max(0, math.ceil((stop - start) / step - 1e-9))

    def __len__(self) -> int:
        return self._length

    @overload
    def __getitem__(self, index: int) -> float: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[float]: ...
    def __getitem__(self, index: int | slice) -> float | Sequence[float]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._length))]
        if index < 0:
            index += self._length
        if not 0 <= index < self._length:
            raise IndexError(index)
        return float(f"{self.start + index * self.step:.12g}")

    def __iter__(self) -> Iterator[float]:
        return (self[i] for i in range(self._length))


@dataclass(frozen=True, slots=True)
class Axis:
    """One matrix variable and its values (distinct, in the order written)."""

    name: str
    values: Sequence[Any]
    _positions: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    def __len__(self) -> int:
        return len(self.values)

    def index_of(self, value: Any) -> int | None:
        """Position of the value that compares equal (as rendered text) to ``value``."""
        if isinstance(self.values, range):  # a long range is never indexed into a dict
            text = render_value(value)
            try:
                number = int(text)
            except ValueError:
                return None
            if render_value(number) != text or number not in self.values:
                return None
            return self.values.index(number)
        if not self._positions:
            for i, item in enumerate(self.values):
                self._positions.setdefault(render_value(item), i)
        return self._positions.get(render_value(value))


def range_values(spec: Any) -> Sequence[Any]:
    """Values of ``{range: [start, stop, step]}`` (stop excluded, like Python's range)."""
    if not isinstance(spec, list) or not 1 <= len(spec) <= 3:
        raise SourceError("range takes a list [stop], [start, stop] or [start, stop, step]")
    for n in spec:
        if isinstance(n, bool) or not isinstance(n, int | float):
            hint = " (YAML reads 1e5 as text; write 1.0e+5)" if isinstance(n, str) else ""
            raise SourceError(f"range bounds must be numbers, got {n!r}{hint}")
        if isinstance(n, float) and not math.isfinite(n):
            raise SourceError("range bounds must be finite numbers")
    start, stop, step = (
        (0, spec[0], 1) if len(spec) == 1 else (spec[0], spec[1], spec[2] if len(spec) == 3 else 1)
    )
    if step == 0:
        raise SourceError("range step must not be 0")
    integers = all(isinstance(n, int) for n in (start, stop, step))
    if integers:
        length = max(0, (stop - start + step - (1 if step > 0 else -1)) // step)
    else:
        ratio = (stop - start) / step
        if not math.isfinite(ratio):
            raise SourceError("range has too many values")
        length = max(0, math.ceil(ratio - 1e-9))
    if length > MAX_RANGE_LENGTH:
        raise SourceError(f"range has {length:.3g} values, more than {MAX_RANGE_LENGTH:,}")
    if integers:
        return range(start, stop, step)
    return FloatRange(float(start), float(stop), float(step))


def _read_text(fence: Confinement, name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise SourceError("file takes a path relative to the manifest's directory")
    base = fence.base
    path = base / name
    try:
        path = fence.check(path, name)
        data = read_regular_file(path, MAX_FILE_BYTES + 1)  # a FIFO: refused, not waited on
        if len(data) > MAX_FILE_BYTES:
            raise SourceError(f"file {name} is larger than {MAX_FILE_BYTES} bytes")
    except NotRegularFileError as exc:
        raise SourceError(f"file {name}: {exc}") from None
    except OutsideError as exc:
        raise SourceError(str(exc)) from None
    except FileNotFoundError:
        raise SourceError(
            f"file {name} not found (paths are relative to the manifest's folder, {base.resolve()})"
        ) from None
    except (IsADirectoryError, PermissionError, OSError, RuntimeError) as exc:
        message = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise SourceError(f"cannot read file {name}: {message}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(f"file {name} is not UTF-8 (byte {exc.start})") from None
    nul = text.find("\x00")
    if nul >= 0:
        raise SourceError(f"file {name} holds a NUL byte on line {text.count(chr(10), 0, nul) + 1}")
    return text


def file_values(fence: Confinement, name: Any) -> list[Any]:
    """Values from a file: rows of .csv (mappings), values of .jsonl, a list in .json/.yaml,
    else one value per non-blank line (lines starting with # are comments)."""
    text = _read_text(fence, name)
    suffix = Path(name).suffix.lower()  # as written: a symlink's target may be named anyhow
    if suffix == ".csv":
        return _csv_rows(name, text)
    if suffix == ".jsonl":
        values: list[Any] = []
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    values.append(json.loads(line))
                except (ValueError, RecursionError) as exc:
                    raise SourceError(f"{name} line {number} is not JSON: {exc}") from None
        return values
    if suffix in {".json", ".yaml", ".yml"}:
        try:
            loaded = json.loads(text) if suffix == ".json" else yaml.safe_load(text)
        except (ValueError, yaml.YAMLError, RecursionError) as exc:
            raise SourceError(f"file {name} cannot be parsed: {exc}") from None
        if not isinstance(loaded, list):
            raise SourceError(f"file {name} must hold a list")
        return loaded
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def _csv_rows(name: str, text: str) -> list[Any]:
    """Rows of a CSV file as mappings; a field may be as long as the file may be."""
    limit = csv.field_size_limit(MAX_FILE_BYTES)  # the default 128 KiB is not a data bound
    try:
        reader = csv.DictReader(text.splitlines())
        if not reader.fieldnames:
            raise SourceError(f"file {name} has no header row")
        rows: list[Any] = []
        for number, row in enumerate(reader, start=2):
            if None in row or any(value is None for value in row.values()):
                raise SourceError(f"{name} row {number} does not have one value per column")
            rows.append(dict(row))
        return rows
    except csv.Error as exc:
        raise SourceError(f"{name} line {reader.line_num} is not valid CSV: {exc}") from None
    finally:
        csv.field_size_limit(limit)


def glob_values(fence: Confinement, pattern: Any) -> list[str]:
    """Paths matching a glob (``**`` recurses), relative to the manifest's directory, sorted.

    Every match must resolve inside the fence: a symlinked directory does not lead out."""
    if not isinstance(pattern, str) or not pattern.strip():
        raise SourceError("glob takes a pattern like data/*.parquet")
    if Path(pattern).is_absolute():
        raise SourceError("glob patterns are relative to the manifest's directory")
    matches = sorted(glob.glob(pattern, root_dir=fence.base, recursive=True))
    if not matches:  # said here, with the pattern: "axis has no values" would not name it
        raise SourceError(
            f"glob {pattern!r} matches no file (patterns are relative to the manifest's"
            f" folder, {fence.base.resolve()})"
        )
    for match in matches:
        try:
            fence.check(fence.base / match, match)
        except OutsideError as exc:
            raise SourceError(f"glob {pattern!r} matches {exc}") from None
        except (OSError, RuntimeError) as exc:  # a symlink loop
            raise SourceError(
                f"glob {pattern!r} matches {match}, which cannot be read: {exc}"
            ) from None
    return matches
