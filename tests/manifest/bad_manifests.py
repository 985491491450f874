"""Bad manifests the loader must refuse at load time, each at its line and column (exit 2).

One table for the manifest tests (load_manifest) and the command tests (``plan`` and ``run``
in a process): every family of issue 9 (sources outside the folder, unreadable text, values
the platform would refuse, names that collide, look-ups in templates) is listed here, so the
suite keeps them forever. ``files`` are written next to the manifest first; a value starting
with ``->`` makes a symlink to the rest of the text.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

HEAD = "name: t\ndefaults: {pipelineYamlPath: p.yaml}\njobs:\n"


@dataclass(frozen=True)
class BadManifest:
    """A manifest (``text``, as bytes if it must hold bytes YAML cannot) and its first issue."""

    family: str
    name: str
    text: str | bytes
    line: int
    column: int
    message: str
    files: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.family}-{self.name}"

    def write(self, folder: Path) -> Path:
        """Write the manifest and its files into ``folder``; return the manifest's path."""
        folder.mkdir(parents=True, exist_ok=True)
        for name, content in self.files.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if content.startswith("->"):
                os.symlink(content[2:].replace("{folder}", str(folder)), path)
            else:
                path.write_text(content)
        manifest = folder / "m.yaml"
        if isinstance(self.text, bytes):
            manifest.write_bytes(self.text)
        else:
            manifest.write_text(self.text)
        return manifest


def _group(body: str) -> str:
    return HEAD + "  - " + body + "\n"


OUTSIDE = "outside the manifest's folder"

CASES: list[BadManifest] = [
    # -- file: and glob: read only inside the manifest's folder ------------------------------
    BadManifest(
        "outside", "absolute-file", _group("matrix: {a: {file: /etc/hostname}}"), 4, 24, OUTSIDE
    ),
    BadManifest("outside", "parent-dir", _group("matrix: {a: {file: ../x.txt}}"), 4, 24, OUTSIDE),
    BadManifest(
        "outside",
        "dotdot-inside-path",
        _group("matrix: {a: {file: d/../../x.txt}}"),
        4,
        24,
        OUTSIDE,
        {"d/k": "k"},
    ),
    BadManifest(
        "outside",
        "symlink-file",
        _group("matrix: {a: {file: link.txt}}"),
        4,
        24,
        OUTSIDE,
        {"link.txt": "->/etc/hostname"},
    ),
    BadManifest(
        "outside",
        "symlink-items",
        _group("items: {file: rows.csv}"),
        4,
        19,
        OUTSIDE,
        {"rows.csv": "->/etc/passwd"},
    ),
    BadManifest(
        "outside",
        "proc-environ",
        _group("matrix: {a: {file: /proc/self/environ}}"),
        4,
        24,
        "kernel file",
    ),
    BadManifest(
        "outside",
        "symlink-to-proc",
        _group("matrix: {a: {file: env.txt}}"),
        4,
        24,
        "kernel file",
        {"env.txt": "->/proc/self/environ"},
    ),
    BadManifest(
        "outside",
        "glob-symlinked-dir",
        _group("matrix: {a: {glob: 'data/**/*.txt'}}"),
        4,
        24,
        OUTSIDE,
        {"../outside/secret.txt": "s", "data/own.txt": "x", "data/ext": "->{folder}/../outside"},
    ),
    BadManifest("outside", "glob-parent", _group("matrix: {a: {glob: '../*'}}"), 4, 24, OUTSIDE),
    BadManifest(
        "outside",
        "glob-absolute",
        _group("matrix: {a: {glob: '/etc/*'}}"),
        4,
        24,
        "relative to the manifest",
    ),
    BadManifest(
        "outside", "device-stays-refused", _group("matrix: {a: {file: /dev/zero}}"), 4, 24, OUTSIDE
    ),
    BadManifest(
        "outside",
        "directory-stays-refused",
        _group("matrix: {a: {file: d}}"),
        4,
        24,
        "not a regular file",
        {"d/x": "x"},
    ),
    # -- text that is not YAML text ----------------------------------------------------------
    BadManifest("text", "nul-byte", b"name: t\njobs:\n  - name: a\x00b\n", 3, 12, "NUL byte"),
    BadManifest("text", "nul-first-column", b"\x00name: t\n", 1, 1, "NUL byte"),
    BadManifest("text", "control-char", b"name: t\x01\n", 1, 8, "U+0001"),
    BadManifest("text", "invalid-utf8", b"name: t\njobs:\n  - name: caf\xe9\n", 3, 14, "not UTF-8"),
    BadManifest("text", "truncated-utf8", b"name: t\nx: \xe2\x82\n", 2, 4, "not UTF-8"),
    BadManifest(
        "text", "escaped-nul-value", _group('parameters: {P: "a\\0b"}'), 4, 21, "NUL character"
    ),
    BadManifest("text", "escaped-nul-name", _group('name: "x\\x00"'), 4, 11, "NUL character"),
    BadManifest(
        "text",
        "nul-in-csv",
        _group("items: {file: rows.csv}"),
        4,
        19,
        "NUL byte on line 2",
        {"rows.csv": "a\nx\x00y\n"},
    ),
    BadManifest(
        "text",
        "broken-csv-row",
        _group("items: {file: rows.csv}"),
        4,
        19,
        "row 3 does not have one value per column",
        {"rows.csv": "a,b\n1,2\n3\n"},
    ),
    # -- integers the platform's 32-bit Int cannot hold -------------------------------------
    BadManifest("int32", "timeout", _group("timeout: 2147483648"), 4, 14, "at most 2147483647"),
    BadManifest(
        "int32", "active-timeout", _group("activeTimeout: 99999999999"), 4, 20, "at most 2147483647"
    ),
    BadManifest(
        "int32", "max-retries", _group("maxRetries: 4294967296"), 4, 17, "at most 2147483647"
    ),
    BadManifest(
        "int32",
        "in-defaults",
        "name: t\ndefaults: {pipelineYamlPath: p.yaml, timeout: 10000000000}\njobs:\n  - name: a\n",
        2,
        47,
        "at most 2147483647",
    ),
    BadManifest("int32", "huge", _group("timeout: 1" + "0" * 40), 4, 14, "at most 2147483647"),
    # -- parameter names the platform's environment cannot carry ----------------------------
    BadManifest("names", "empty-key", _group('parameters: {"": x}'), 4, 18, "must not be empty"),
    BadManifest(
        "names", "space", _group('parameters: {"a b": x}'), 4, 18, "must be letters, digits"
    ),
    BadManifest(
        "names", "equals", _group('parameters: {"a=b": x}'), 4, 18, "must be letters, digits"
    ),
    BadManifest(
        "names", "leading-digit", _group("parameters: {1x: x}"), 4, 18, "must be letters, digits"
    ),
    BadManifest("names", "number-key", _group("parameters: {1: x}"), 4, 18, "must be strings"),
    BadManifest(
        "names", "unicode", _group("parameters: {café: x}"), 4, 18, "must be letters, digits"
    ),
    BadManifest(
        "names",
        "collide-dash",
        _group("parameters: {a-b: 1, A_B: 2}"),
        4,
        26,
        "would both reach the job as A_B",
    ),
    BadManifest(
        "names",
        "collide-case",
        _group("parameters: {lr: 1, LR: 2}"),
        4,
        25,
        "would both reach the job as LR",
    ),
    BadManifest(
        "names",
        "collide-dot",
        _group("parameters: {a.b: 1, a_b: 2}"),
        4,
        26,
        "would both reach the job as A_B",
    ),
    BadManifest(
        "names",
        "collide-with-defaults",
        "name: t\ndefaults: {pipelineYamlPath: p.yaml, parameters: {data-dir: x}}\n"
        "jobs:\n  - parameters: {DATA_DIR: y}\n",
        4,
        18,
        "would both reach the job as DATA_DIR",
    ),
    BadManifest(
        "names",
        "reserved-upper",
        _group("parameters: {ORCHESTRATOR_JOB: x}"),
        4,
        18,
        "set by the orchestrator",
    ),
    BadManifest(
        "names",
        "reserved-lower",
        _group("parameters: {orchestrator_run: x}"),
        4,
        18,
        "set by the orchestrator",
    ),
    BadManifest(
        "names",
        "reserved-mixed",
        _group("parameters: {Orchestrator_Token: x}"),
        4,
        18,
        "set by the orchestrator",
    ),
    BadManifest(
        "names",
        "reserved-dash",
        _group("parameters: {orchestrator-attempt: x}"),
        4,
        18,
        "set by the orchestrator",
    ),
    # -- templates name variables, nothing else ---------------------------------------------
    BadManifest(
        "templates",
        "dotted",
        _group("matrix: {v: [1]}\n    name: '{{ v.key }}'"),
        5,
        11,
        "templates name variables only",
    ),
    BadManifest(
        "templates",
        "dunder",
        _group("name: '{{ index.__class__ }}'"),
        4,
        11,
        "templates name variables only",
    ),
    BadManifest(
        "templates",
        "index-lookup",
        _group("name: \"{{ group['x'] }}\""),
        4,
        11,
        "templates name variables only",
    ),
    BadManifest(
        "templates",
        "dotted-in-parameter",
        _group("items: [{row: a}]\n    parameters: {P: '{{ row.path }}'}"),
        5,
        21,
        "templates name variables only",
    ),
    BadManifest(
        "templates",
        "dotted-in-defaults",
        "name: t\ndefaults: {pipelineYamlPath: '{{ index.real }}'}\njobs:\n  - name: a\n",
        2,
        30,
        "templates name variables only",
    ),
    BadManifest(
        "templates", "call", _group("name: '{{ index() }}'"), 4, 11, "must name a variable"
    ),
]
