"""A matrix: the product of its axes, minus ``exclude``, plus ``include``, as GitHub Actions does.

GitHub's documented rules, followed exactly:

* ``exclude`` is applied first; an entry removes every combination it matches, and a partial
  entry (naming only some axes) matches every combination agreeing on the axes it names.
* each ``include`` entry is then added to every remaining combination whose *original* (axis)
  values it does not overwrite; values added by earlier includes may be overwritten. An entry
  that fits no remaining combination becomes a combination of its own, after the product.
  Entries only ever extend original combinations, never ones made by other includes.
* a matrix of only ``include`` entries has those entries as its combinations.

Values compare by their rendered text (``1`` matches ``"1"``), as templates see them. Counting
is arithmetic over axis sizes (inclusion of exclude patterns is resolved by splitting on
axis values), so it costs nothing per combination.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from orchestrator.manifest.axes import Axis

# (axis position, value index) pairs a combination must have to match a pattern.
_Pattern = tuple[tuple[int, int], ...]


@dataclass(frozen=True, slots=True)
class _Include:
    entry: Mapping[str, Any]
    pattern: _Pattern | None  # None: names an axis value that does not exist
    extends_some: bool


class Matrix:
    """Axes plus GitHub-style exclude and include lists; counts and iterates lazily."""

    def __init__(
        self,
        axes: Sequence[Axis],
        exclude: Sequence[Mapping[str, Any]] = (),
        include: Sequence[Mapping[str, Any]] = (),
    ) -> None:
        self.axes = tuple(axes)
        self._names = tuple(axis.name for axis in self.axes)
        self._excludes = tuple(
            p for p in (self._pattern(entry) for entry in exclude) if p is not None
        )
        self._includes = tuple(self._classify(entry) for entry in include)

    @property
    def variable_names(self) -> frozenset[str]:
        """Every variable some combination may carry (axes and include keys)."""
        names = set(self._names)
        for include in self._includes:
            names.update(include.entry)
        return frozenset(names)

    def _pattern(self, entry: Mapping[str, Any]) -> _Pattern | None:
        """Axis constraints of an entry as indices; None if it names a value no axis has."""
        pairs: list[tuple[int, int]] = []
        for position, axis in enumerate(self.axes):
            if axis.name in entry:
                index = axis.index_of(entry[axis.name])
                if index is None:
                    return None
                pairs.append((position, index))
        return tuple(pairs)

    def _classify(self, entry: Mapping[str, Any]) -> _Include:
        pattern = self._pattern(entry)
        extends = bool(self.axes) and pattern is not None and self._remaining(pattern) > 0
        return _Include(entry=dict(entry), pattern=pattern, extends_some=extends)

    def _product_size(self, skip: frozenset[int] = frozenset()) -> int:
        return math.prod(len(a) for i, a in enumerate(self.axes) if i not in skip)

    def _remaining(self, fixed: _Pattern) -> int:
        """Combinations that agree with ``fixed`` and survive every exclude."""
        fixed_axes = dict(fixed)
        patterns = []
        for pattern in self._excludes:
            if all(fixed_axes.get(pos, index) == index for pos, index in pattern):
                patterns.append(tuple(p for p in pattern if p[0] not in fixed_axes))
        free = [i for i in range(len(self.axes)) if i not in fixed_axes]
        return self._product_size(frozenset(fixed_axes)) - _union_count(self.axes, free, patterns)

    @cached_property
    def _base_count(self) -> int:
        return self._remaining(()) if self.axes else 0

    def count(self) -> int:
        """Number of combinations, computed without producing them."""
        return self._base_count + sum(1 for inc in self._includes if not inc.extends_some)

    def combinations(self) -> Iterator[dict[str, Any]]:
        """Every combination in order: the product (axis 1 slowest), then new includes."""
        if self.axes and self._base_count:
            yield from self._product_combinations()
        for include in self._includes:
            if not include.extends_some:
                yield dict(include.entry)

    def _product_combinations(self) -> Iterator[dict[str, Any]]:
        names = self._names
        values = [axis.values for axis in self.axes]
        excludes = self._excludes
        extenders = [
            (include.pattern or (), include.entry)
            for include in self._includes
            if include.extends_some
        ]
        for indices in itertools.product(*(range(len(v)) for v in values)):
            if excludes and any(
                all(indices[pos] == index for pos, index in pattern) for pattern in excludes
            ):
                continue
            combination = {name: values[i][indices[i]] for i, name in enumerate(names)}
            for pattern, entry in extenders:
                if all(indices[pos] == index for pos, index in pattern):
                    combination.update(entry)
            yield combination


def _union_count(axes: Sequence[Axis], free: Sequence[int], patterns: Sequence[_Pattern]) -> int:
    """How many combinations of the ``free`` axes match at least one pattern.

    Splits on one constrained axis at a time: each value named by some pattern is counted
    with the patterns that allow it, and all other values together with the patterns that do
    not constrain that axis. Exact, and fast for the handful of patterns manifests hold.
    """
    if not patterns:
        return 0
    if any(not pattern for pattern in patterns):
        return math.prod(len(axes[i]) for i in free)
    constrained = {pos for pattern in patterns for pos, _ in pattern}
    axis = next(i for i in free if i in constrained)
    rest = [i for i in free if i != axis]
    named = {index for pattern in patterns for pos, index in pattern if pos == axis}
    total = 0
    for value in named:
        narrowed = [
            tuple(p for p in pattern if p[0] != axis)
            for pattern in patterns
            if dict(pattern).get(axis, value) == value
        ]
        total += _union_count(axes, rest, narrowed)
    others = len(axes[axis]) - len(named)
    if others:
        unconstrained = [pattern for pattern in patterns if axis not in dict(pattern)]
        total += others * _union_count(axes, rest, unconstrained)
    return total
