"""Which parameters a task also sees under their bare name: an allow-list by rule.

Every parameter reaches a task as ``HYPERPLANE_JOB_PARAMETER_<KEY>``, always, whatever its
name. Real job code reads parameters by bare name too (``os.getenv("FILE_ID")``), so the
platform also exports ``<KEY>``; but a bare name is an environment variable of every process
the task starts (bash, python, git, pip, curl, ssh...), and many variables change how a
process starts, what code or library it loads, what it trusts or where it connects
(``GIT_CONFIG_*`` makes a harmless ``git status`` run a command, ``LD_PRELOAD`` loads a
library into every process, ``HTTPS_PROXY`` sends traffic elsewhere). A parameter is
therefore the API client's to set only under the prefixed name, and under its bare name only
when :func:`bare_name_allowed` says so. The rule:

1. The bare name is the key as the hosted platform spells its variables: upper-cased,
   characters other than letters, digits and ``_`` made ``_`` (``lr-rate`` -> ``LR_RATE``).
   Upper-casing also means a bare parameter never sets a lower-case variable
   (``http_proxy``).
2. It must match ``[A-Z][A-Z0-9_]*``: a name a shell can use, not starting with ``_`` (the
   ``_JAVA_OPTIONS`` family) or a digit.
3. It must not be in :data:`DENIED`: exact names, prefixes and suffixes, each with the reason
   it is there. The list covers shells, the dynamic linker and libc, language runtimes and
   their package managers, version control, TLS trust, proxies, cloud and container
   credentials, terminals, pagers and editors, locale, temp dirs, and the platform's own
   namespaces (``HYPERPLANE_``, ``ORCHESTRATOR_``, and the hosted job variables outside them:
   ``USER_EMAIL``, ``PIPELINES_USER``, ``MY_POD_NAME``).
4. It never replaces a variable the platform itself sets for the task (``PATH``, the
   ``HYPERPLANE_JOB_*`` variables, the rest of the hosted job environment): those are
   written after the parameters.

Deliberately allowed, because they tune a computation and neither load code, change trust
nor connect anywhere: thread and kernel settings (``OMP_*``, ``MKL_*``, ``OPENBLAS_*``) and
device choice (``CUDA_VISIBLE_DEVICES``; ``CUDA_INJECTION*``, which loads a library, is
denied).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Match(StrEnum):
    """How a :class:`Denied` entry matches a bare name."""

    NAME = "name"
    PREFIX = "prefix"
    SUFFIX = "suffix"


@dataclass(frozen=True, slots=True)
class Denied:
    """Names that never reach a task bare, and why."""

    match: Match
    text: str
    reason: str


def _names(reason: str, *names: str) -> list[Denied]:
    return [Denied(Match.NAME, name, reason) for name in names]


def _prefixes(reason: str, *prefixes: str) -> list[Denied]:
    return [Denied(Match.PREFIX, prefix, reason) for prefix in prefixes]


_SHELL = "the shell reads it at start: runs a file or command, or changes how it parses"
_LOADER = "the dynamic linker or libc reads it: loads libraries or modules into every process"
_RUNTIME = "a language runtime reads it: changes which code it loads or runs at start"
_PACKAGES = "a package manager or build tool reads it: where it installs from, what it runs"
_TRUST = "changes which TLS certificates or configuration a program trusts"
_CONNECT = "changes where a program connects (proxies, resolvers, service endpoints)"
_CREDENTIALS = "credentials or configuration of a cloud, cluster or service client"
_TOOLS = "a tool starts the program it names (editor, pager, browser, compiler)"
_IDENTITY = "describes the user, session or machine: programs trust it as given"
_FILES = "where programs look for their configuration, data or temporary files"
_LOCALE = "locale and time: changes parsing, and loads locale or timezone data files"
_PLATFORM = "the platform's own variables: a parameter must not forge or replace them"

DENIED: tuple[Denied, ...] = (
    # shells
    *_prefixes(_SHELL, "BASH", "SHELL", "ZSH"),
    *_names(_SHELL, "ENV", "IFS", "CDPATH", "GLOBIGNORE", "PROMPT_COMMAND", "FPATH"),
    *_names(_SHELL, "PS0", "PS1", "PS2", "PS3", "PS4", "ZDOTDIR", "INPUTRC", "HISTFILE"),
    *_names(_SHELL, "POSIXLY_CORRECT", "TIMEFORMAT", "MAIL", "MAILPATH", "MAILCHECK"),
    Denied(Match.NAME, "PATH", "where every command is looked up: the platform sets it"),
    # dynamic linker, libc, allocator
    *_prefixes(_LOADER, "LD_", "DYLD_", "GCONV", "GLIBC_", "MALLOC_", "CUDA_INJECTION"),
    *_names(_LOADER, "NLSPATH", "LOCPATH", "HOSTALIASES", "RES_OPTIONS", "LOCALDOMAIN"),
    # language runtimes
    *_prefixes(_RUNTIME, "PYTHON", "PYSPARK_", "SPARK_", "PERL", "RUBY", "NODE_", "JAVA"),
    *_prefixes(_RUNTIME, "_JAVA", "JDK_", "JUPYTER", "IPYTHON", "LUA_", "TCL_", "TK_", "R_"),
    *_prefixes(_RUNTIME, "MPL", "DASK_", "HF_", "TRANSFORMERS_", "HUGGINGFACE_", "TORCH_"),
    *_names(_RUNTIME, "VIRTUAL_ENV", "CLASSPATH", "ERL_LIBS", "OCAMLPATH"),
    *_names(_RUNTIME, "GOPATH", "GOROOT", "GOFLAGS", "GOPROXY", "GOENV", "GOTOOLCHAIN"),
    *_names(_RUNTIME, "GOPRIVATE", "GONOPROXY", "GONOSUMDB", "GOSUMDB", "GOINSECURE"),
    *_names(_RUNTIME, "GOBIN", "GOCACHE", "GOMODCACHE", "GOWORK", "GODEBUG", "GOEXPERIMENT"),
    # package managers and build tools
    *_prefixes(_PACKAGES, "PIP_", "UV_", "CONDA", "MAMBA", "PIPENV_", "POETRY_", "NPM_"),
    *_prefixes(
        _PACKAGES, "YARN_", "CARGO_", "RUSTUP_", "RUSTC", "RUSTDOC", "RUSTFLAGS", "GEM_", "BUNDLE_"
    ),
    *_prefixes(_PACKAGES, "MAVEN_", "GRADLE_", "PKG_CONFIG", "MAKE", "CMAKE_"),
    *_names(_PACKAGES, "CC", "CXX", "CPP", "LD", "AR", "AS", "FC", "MFLAGS"),
    *_names(_PACKAGES, "CFLAGS", "CXXFLAGS", "CPPFLAGS", "LDFLAGS", "LDLIBS", "ANT_OPTS"),
    # version control
    *_prefixes("git reads it: config (core.fsmonitor runs a command), hooks, ssh", "GIT_"),
    *_names("a version-control client reads it: config that runs commands", "HGRCPATH"),
    # trust
    *_prefixes(_TRUST, "OPENSSL_", "SSL_", "CURL_", "GNUTLS_", "NSS_", "GRPC_"),
    *_names(_TRUST, "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "WGETRC", "NETRC", "GNUPGHOME"),
    Denied(Match.SUFFIX, "CA_BUNDLE", _TRUST),
    Denied(Match.SUFFIX, "CA_CERTS", _TRUST),
    # connections
    Denied(Match.SUFFIX, "_PROXY", _CONNECT),
    *_names(_CONNECT, "DISPLAY", "XAUTHORITY"),
    *_prefixes(_CONNECT, "DBUS_", "SSH_", "KRB5", "PG", "MYSQL_", "ODBC"),
    # credentials of cloud and cluster clients
    *_prefixes(_CREDENTIALS, "AWS_", "GOOGLE_", "GCLOUD", "CLOUDSDK_", "AZURE_", "BOTO"),
    *_prefixes(_CREDENTIALS, "DOCKER_", "KUBE", "SYSTEMD_", "VAULT_"),
    # programs that start other programs
    *_names(_TOOLS, "EDITOR", "VISUAL", "PAGER", "BROWSER", "MANPAGER", "MANOPT", "MANPATH"),
    *_names(_TOOLS, "LESS", "LESSOPEN", "LESSCLOSE", "LESSKEY", "LESSKEYIN", "LESSSECURE"),
    *_names(_TOOLS, "TERM", "TERMINFO", "TERMINFO_DIRS", "TERMCAP", "COLORTERM"),
    # identity and files
    *_names(_IDENTITY, "USER", "LOGNAME", "PWD", "OLDPWD", "SHLVL", "UID", "EUID", "HOSTNAME"),
    *_prefixes(_IDENTITY, "SUDO_"),
    *_names(_FILES, "HOME", "TMPDIR", "TMP", "TEMP", "TEMPDIR"),
    Denied(Match.SUFFIX, "HOME", _FILES + " (JAVA_HOME, CARGO_HOME, SPARK_HOME...)"),
    *_prefixes(_FILES, "XDG_"),
    # locale and time
    *_prefixes(_LOCALE, "LC_"),
    *_names(_LOCALE, "LANG", "LANGUAGE", "TZ", "TZDIR"),
    # the platform
    *_prefixes(_PLATFORM, "HYPERPLANE_", "ORCHESTRATOR_"),
    *_names(_PLATFORM, "USER_EMAIL", "PIPELINES_USER", "MY_POD_NAME"),
)
"""Every bare name no parameter may set, each entry with its reason."""

BARE_NAME = re.compile(r"[A-Z][A-Z0-9_]*")
"""What a bare name must look like (rule 2)."""

_NOT_ENV_SAFE = re.compile(r"[^A-Z0-9_]")
_EXACT = {entry.text: entry for entry in DENIED if entry.match is Match.NAME}
_PREFIXES = tuple(entry for entry in DENIED if entry.match is Match.PREFIX)
_SUFFIXES = tuple(entry for entry in DENIED if entry.match is Match.SUFFIX)


def bare_name(key: str) -> str:
    """A parameter's bare variable name: upper-cased, unusable characters as ``_``."""
    return _NOT_ENV_SAFE.sub("_", key.upper())


def denial(name: str) -> Denied | None:
    """The entry of :data:`DENIED` that covers ``name``, or ``None``."""
    exact = _EXACT.get(name)
    if exact is not None:
        return exact
    for entry in _PREFIXES:
        if name.startswith(entry.text):
            return entry
    for entry in _SUFFIXES:
        if name.endswith(entry.text):
            return entry
    return None


def withheld_reason(name: str) -> str | None:
    """Why the bare name ``name`` is not exported, or ``None`` when it is."""
    if not BARE_NAME.fullmatch(name):
        return "a bare name must be upper-case letters, digits and '_', starting with a letter"
    entry = denial(name)
    return None if entry is None else entry.reason


def bare_name_allowed(name: str) -> bool:
    """Whether a parameter may also be exported under the bare name ``name``."""
    return withheld_reason(name) is None
