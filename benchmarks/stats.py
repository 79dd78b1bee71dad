"""Interleaved rounds → ratios with their spread, and the Markdown table they end up in.

Shared machines drift: a neighbour's job can halve a throughput for a minute.
So every compared configuration is measured in the same rounds, its order
rotating from round to round (A B C, B C A, C A B, …), and each round gives its
own ratio against the baseline measured beside it. The table shows the median
of those ratios with their min–max: two runs agree when their ranges overlap.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from helpers import checks


@dataclass(frozen=True)
class Spread:
    """Median, minimum and maximum of ``n`` measurements."""

    median: float
    low: float
    high: float
    n: int

    def format(self, spec: str = ".2f") -> str:
        """``"0.91 [0.88–0.95]"``, or just ``"0.91"`` for a single measurement."""
        if self.n == 1:
            return f"{self.median:{spec}}"
        return f"{self.median:{spec}} [{self.low:{spec}}–{self.high:{spec}}]"

    def times(self) -> str:
        """A ratio as ``"1.23× [1.10–1.31]"``, or ``"1.23×"`` for a single measurement."""
        if self.n == 1:
            return f"{self.median:.2f}×"
        return f"{self.median:.2f}× [{self.low:.2f}–{self.high:.2f}]"


def spread(values: Sequence[float]) -> Spread:
    """The :class:`Spread` of ``values`` (at least one finite number)."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or len(values) == 0:
        raise ValueError(f"values must be a non-empty sequence of numbers, got {checks.describe(values)}.")
    numbers = [checks.number(v, f"values[{i}]") for i, v in enumerate(values)]
    return Spread(statistics.median(numbers), min(numbers), max(numbers), len(numbers))


def round_ratios(numerators: Sequence[float], denominators: Sequence[float]) -> list[float]:
    """Per-round ratios ``numerators[i] / denominators[i]`` of two configurations measured in the same rounds.

    For a throughput pass (candidate, baseline); for a duration pass (baseline,
    candidate): either way a ratio above 1 means the candidate is faster.
    """
    checks.same_length(numerators, "numerators", denominators, "denominators")
    if len(numerators) == 0:
        raise ValueError("numerators and denominators must hold at least one round each, got none.")
    for i, value in enumerate(denominators):
        checks.number(value, f"denominators[{i}]", 0, low_open=True)
    return [checks.number(n, f"numerators[{i}]", 0) / d
            for i, (n, d) in enumerate(zip(numerators, denominators))]


def ratio_spread(numerators: Sequence[float], denominators: Sequence[float]) -> Spread:
    """The :class:`Spread` of the per-round ratios (see :func:`round_ratios`)."""
    return spread(round_ratios(numerators, denominators))


def first_time_median_reaches(series: Sequence[Sequence[tuple[float, float]]], target: float) -> float | None:
    """The first time at which the median over runs of each run's latest value reaches ``target``.

    ``series``: per run, ``(time, value)`` pairs in time order, each value holding
    until the run's next pair (before its first pair a run has reached nothing).
    Returns that time, or ``None`` when the median never reaches ``target``.
    ``[[(10, 0.89), (20, 0.91)], [(12, 0.90), (21, 0.92)], [(11, 0.88), (19, 0.89)]]``
    with target 0.90 gives 20: from then on two of the three runs hold ≥ 0.90.
    """
    if isinstance(series, (str, bytes)) or not isinstance(series, Sequence) or not series:
        raise ValueError(f"series must hold one sequence of (time, value) pairs per run, got "
                         f"{checks.describe(series)}.")
    target = checks.number(target, "target")
    runs = []
    for i, run in enumerate(series):
        pairs = [(checks.number(t, f"series[{i}] time"), checks.number(v, f"series[{i}] value")) for t, v in run]
        if any(later[0] < earlier[0] for earlier, later in zip(pairs, pairs[1:])):
            raise ValueError(f"series[{i}] must be in time order.")
        runs.append(pairs)

    def latest(run: list[tuple[float, float]], moment: float) -> float:
        value = -math.inf  # nothing reached yet
        for time, reached in run:
            if time > moment:
                break
            value = reached
        return value

    for moment in sorted({t for run in runs for t, _ in run}):
        if statistics.median(latest(run, moment) for run in runs) >= target:
            return moment
    return None


def interleaved_order(names: Sequence[str], rounds: int) -> list[list[str]]:
    """The order to measure ``names`` in, round by round: rotated by one each round.

    Each configuration runs first equally often, and neighbours in time are
    measured within seconds of each other: ``["a", "b"]`` over 3 rounds gives
    ``[["a", "b"], ["b", "a"], ["a", "b"]]``.
    """
    names = list(names)
    if not names or len(set(names)) != len(names):
        raise ValueError(f"names must be distinct and at least one, got {names!r}.")
    rounds = checks.positive_int(rounds, "rounds")
    return [names[r % len(names):] + names[:r % len(names)] for r in range(rounds)]


@dataclass(frozen=True)
class Row:
    """One line of the benchmark table.

    ``used_by``: the notebook whose configuration this is, or why none is
    ("none: recipe style", "none: alternative"). ``result``: the measured value
    as text (usually a :meth:`Spread.format`). ``ratio``: against the section's
    baseline measured in the same rounds, or text (``"baseline"``, ``"–"``).
    ``limit``: achieved GFLOP/s and share of the matmul peak, where it applies.
    ``met``: whether ``target`` is met (``None`` when there is no target).
    """

    measurement: str
    configuration: str
    used_by: str
    result: str
    ratio: Spread | str = "baseline"
    limit: str = ""
    target: str = ""
    met: bool | None = None


TABLE_HEADER = ("| measurement | configuration | used by | result: median [min–max] | "
                "ratio to baseline: median [min–max] | GFLOP/s (share of peak) | target | met |")


def markdown_table(rows: Sequence[Row]) -> str:
    """The rows as a Markdown table (header included); ratios as ``1.23× [1.10–1.31]``."""
    if not rows:
        raise ValueError("rows must hold at least one Row, got none.")
    lines = [TABLE_HEADER, "|" + "---|" * TABLE_HEADER.count(" | ") + "---|"]
    for row in rows:
        if not isinstance(row, Row):
            raise TypeError(f"rows must hold Row objects, got {checks.describe(row)}.")
        ratio = row.ratio if isinstance(row.ratio, str) else row.ratio.times()
        met = "" if row.met is None else ("yes" if row.met else "**no**")
        cells = (row.measurement, row.configuration, row.used_by, row.result, ratio, row.limit,
                 row.target, met)
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines)

