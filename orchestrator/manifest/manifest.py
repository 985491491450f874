"""Loading a manifest file and expanding it, lazily, into JobSpecs."""

from __future__ import annotations

import gc
import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from orchestrator.manifest.checker import Checker
from orchestrator.manifest.confinement import Confinement
from orchestrator.manifest.errors import IssueCollector
from orchestrator.manifest.group import Group
from orchestrator.manifest.model import JobSpec, Policy
from orchestrator.manifest.regular_files import NotRegularFileError, read_regular_file
from orchestrator.manifest.validate import validate
from orchestrator.manifest.yaml_source import parse_yaml

MAX_MANIFEST_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Manifest:
    """A validated manifest: its run name, policy and job groups, ready to count and expand.

    Nothing is expanded up front; ``jobs()`` is a generator that yields the same JobSpecs, in
    the same order, every time it is called.
    """

    name: str
    policy: Policy
    groups: tuple[Group, ...] = field(repr=False)
    source_path: Path
    digest: str  # sha256 of the file's bytes
    overrides: Mapping[str, str] = field(default_factory=dict)  # `run -p`: kept with the run

    def count(self) -> int:
        """Number of jobs, by arithmetic over axis sizes (nothing is expanded)."""
        return sum(group.count() for group in self.groups)

    def has_schedules(self) -> bool:
        """Some job carries a cron ``schedule`` (it needs a platform that outlives the run)."""
        return any(group.fields.get("schedule") for group in self.groups)

    def field_values(self, name: str, render_limit: int = 100_000) -> set[str]:
        """The distinct values of field ``name`` over every job (``pipelineYamlPath``: the
        files a run needs). A value the same for the whole group costs nothing; a templated
        one is rendered job by job, for groups of at most ``render_limit`` jobs (larger ones
        are left out: the check this serves must stay instant)."""
        values: set[str] = set()
        index = 0
        for group in self.groups:
            literal = group.literal_field(name)
            if literal is not None:
                values.add(str(literal))
            elif name in group.fields and group.count() <= render_limit:
                for offset, variables in enumerate(group.variables()):
                    values.add(str(group.job(self.name, index + offset, variables).fields[name]))
            index += group.count()
        return values

    def jobs(self) -> Iterator[JobSpec]:
        """Every job, in manifest order: groups in order, items outer, matrix inner."""
        index = 0
        for group in self.groups:
            for variables in group.variables():
                yield group.job(self.name, index, variables)
                index += 1


def load_manifest(
    path: str | Path,
    *,
    data: bytes | None = None,
    allow_outside: Iterable[str | Path] = (),
    overrides: Mapping[str, str] | None = None,
) -> Manifest:
    """Read, parse and validate a manifest file (or ``data``, read elsewhere: stdin).

    With ``data``, ``path`` only names the manifest and places it: relative paths in it
    resolve from ``path``'s folder. ``file:`` and ``glob:`` sources may only read inside the
    manifest's folder and the ``allow_outside`` folders (symlinks resolved). ``overrides``
    replace values of the manifest's ``variables`` (``run -p KEY=VALUE``); each must name a
    declared variable. Raises
    ManifestError listing every problem found, each located at a line and column.
    """
    with _no_cyclic_gc():
        return _load(Path(path), data, allow_outside, overrides)


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while a manifest loads.

    Loading builds a large tree of acyclic containers; each full collection walks all of it
    and frees nothing, which made validation grow faster than the manifest (about 40% of the
    time of 50,000 groups). Reference counting still frees everything as usual.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _load(
    source: Path,
    data: bytes | None,
    allow_outside: Iterable[str | Path],
    overrides: Mapping[str, str] | None,
) -> Manifest:
    issues = IssueCollector(source)
    if data is not None and len(data) > MAX_MANIFEST_BYTES:
        issues.add(1, 1, f"the manifest is larger than {MAX_MANIFEST_BYTES} bytes")
        data = None
    elif data is None:
        data = _read(source, issues)
    issues.raise_if_any()
    assert data is not None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        issues.add(line, column, f"the file is not UTF-8 text (byte 0x{data[exc.start]:02x})")
        issues.raise_if_any()
    doc = parse_yaml(text, issues)
    issues.raise_if_any()
    assert doc is not None
    default_name = re.sub(r"[^A-Za-z0-9._-]+", "-", source.stem).strip("-._")[:40] or "run"
    checker = Checker(doc, issues, Confinement.of(source.parent, allow_outside))
    validated = validate(checker, default_name, overrides)
    issues.raise_if_any()
    assert validated is not None
    return Manifest(
        name=validated.name,
        policy=validated.policy,
        groups=validated.groups,
        source_path=source,
        digest=hashlib.sha256(data).hexdigest(),
        overrides=dict(overrides or {}),
    )


def _read(source: Path, issues: IssueCollector) -> bytes | None:
    try:
        data = read_regular_file(source, MAX_MANIFEST_BYTES + 1)  # a FIFO: refused, not waited on
        if len(data) > MAX_MANIFEST_BYTES:
            issues.add(1, 1, f"the manifest is larger than {MAX_MANIFEST_BYTES} bytes")
            return None
        return data
    except FileNotFoundError:
        issues.add(1, 1, "no such file")
    except NotRegularFileError as exc:
        issues.add(1, 1, f"{exc} (pipe a manifest in with '-')")
    except OSError as exc:
        issues.add(1, 1, f"cannot read the manifest: {exc.strerror or exc}")
    return None
