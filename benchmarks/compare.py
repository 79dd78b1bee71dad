"""Do two benchmark runs agree? Each comparison of one run set against the other's min–max.

    python benchmarks/compare.py FIRST.json SECOND.json

Compared: every ratio of the table (each loop variant against the bare
``train_on_batch`` calls, or against the written-out loop in runs made before the
bare calls were measured; each throughput configuration against recipe style) and
each time-to-accuracy configuration's test accuracy over seeds. Absolute speeds are not compared: on a shared machine
they follow the neighbours, which is why the table's verdicts rest on ratios.

Two criteria, both printed: the ranges overlap (what ``stats`` calls agreement),
and the stricter one, each run's median lies within the other run's min–max.
The exit status is 0 when every comparison meets the stricter one.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python benchmarks/compare.py` puts benchmarks/, not the root, on the path
    sys.path.insert(0, str(ROOT))

from benchmarks import stats  # noqa: E402
from helpers import checks  # noqa: E402


@dataclass(frozen=True)
class Agreement:
    """One comparison between two runs."""

    name: str
    first: stats.Spread
    second: stats.Spread

    @property
    def overlap(self) -> bool:
        """The two min–max ranges share at least one value."""
        return self.first.low <= self.second.high and self.second.low <= self.first.high

    @property
    def medians_within(self) -> bool:
        """Each run's median lies within the other run's min–max."""
        return (self.second.low <= self.first.median <= self.second.high
                and self.first.low <= self.second.median <= self.first.high)


def compared_spreads(results: dict) -> dict[str, stats.Spread]:
    """The spreads of one run that a second run should reproduce, by a readable name.

    ``results`` is what ``benchmarks/run.py`` writes to ``latest.json``; sections a
    run skipped (``--only``) are simply absent.
    """
    if not isinstance(results, dict):
        raise TypeError(f"results must be a dict read from a benchmark JSON file, got {checks.describe(results)}.")
    spreads = {}
    for name, runs in results.get("accuracy", {}).items():
        spreads[f"time to accuracy, {name}: test accuracy"] = stats.spread([r["test_accuracy"] for r in runs])
    loop = results.get("loop")
    if loop:
        base = "bare" if "bare" in loop["seconds"] else "recipe"  # runs made before the bare calls
        for name, seconds in loop["seconds"].items():
            if name != base:
                spreads[f"loop, {name}: speed relative to {base}"] = stats.ratio_spread(
                    loop["seconds"][base], seconds)
    for model, result in results.get("throughput", {}).items():
        per_second = result["images_per_second"]
        for name, values in per_second.items():
            if name != "recipe_b32":
                spreads[f"throughput, {model} {name}: ratio to recipe_b32"] = stats.ratio_spread(
                    values, per_second["recipe_b32"])
    return spreads


def compare(first: dict, second: dict) -> list[Agreement]:
    """One :class:`Agreement` per comparison present in both runs, in the first run's order."""
    a, b = compared_spreads(first), compared_spreads(second)
    common = [name for name in a if name in b]
    if not common:
        raise ValueError("first and second share no comparison: were they run with the same sections?")
    return [Agreement(name, a[name], b[name]) for name in common]


def report(agreements: list[Agreement]) -> str:
    """The comparisons as a Markdown table, with a last line counting those that agree."""
    lines = ["| comparison | first run | second run | ranges overlap | medians within the other's range |",
             "|---|---|---|---|---|"]
    for a in agreements:
        lines.append(f"| {a.name} | {a.first.format('.3f')} | {a.second.format('.3f')} | "
                     f"{'yes' if a.overlap else '**no**'} | {'yes' if a.medians_within else '**no**'} |")
    within = sum(a.medians_within for a in agreements)
    overlap = sum(a.overlap for a in agreements)
    lines.append(f"\n{within} of {len(agreements)} comparisons have each median within the other run's "
                 f"min–max; {overlap} of {len(agreements)} ranges overlap.")
    return "\n".join(lines)


def load(path: Path) -> dict:
    """A benchmark result file, with an error naming it if it is missing or not JSON."""
    try:
        return json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: no such benchmark result; run `python benchmarks/run.py` first.") from None
    except json.JSONDecodeError as error:
        raise ValueError(f"{path} is not a benchmark result (not JSON: {error}).") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("first", type=Path, help="a latest.json from one run (copy it before the next run)")
    parser.add_argument("second", type=Path, help="a latest.json from another run")
    args = parser.parse_args(argv)
    agreements = compare(load(args.first), load(args.second))
    print(report(agreements))
    return 0 if all(a.medians_within for a in agreements) else 1


if __name__ == "__main__":
    sys.exit(main())
