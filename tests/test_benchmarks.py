"""The benchmarks' pure parts: multiply-add counts, interleaved-round statistics, the table, settings."""

import math
import os

import pytest

from benchmarks import compare, flops, run, stats
from benchmarks.workloads import learning_rate_at
from helpers import models

# Hand counts: output positions × filters × (kernel height × width × input channels); inputs × units.
LENET5_BY_HAND = {
    "C1": 28 * 28 * 6 * (5 * 5 * 1),    # 117,600
    "C3": 10 * 10 * 16 * (5 * 5 * 6),   # 240,000
    "C5": 400 * 120,                    # 16×5×5 flattened
    "F6": 120 * 84,
    "output": 84 * 10,
}
PLAIN_CNN_BY_HAND = [
    30 * 30 * 32 * (3 * 3 * 3),         # 32×32×3 → 30×30×32
    13 * 13 * 64 * (3 * 3 * 32),        # pooled 15×15×32 → 13×13×64
    4 * 4 * 64 * (3 * 3 * 64),          # pooled 6×6×64 → 4×4×64
    1024 * 64,
    64 * 10,
]


def test_lenet5_multiply_adds_match_the_hand_count():
    assert flops.multiply_adds(models.lenet5()) == LENET5_BY_HAND
    assert sum(LENET5_BY_HAND.values()) == 416_520


def test_plain_cnn_multiply_adds_match_the_hand_count():
    assert list(flops.multiply_adds(models.plain_cnn()).values()) == PLAIN_CNN_BY_HAND
    assert sum(PLAIN_CNN_BY_HAND) == 4_548_608


def test_batchnorm_layers_and_pooling_are_not_counted():
    counts = flops.multiply_adds(models.batchnorm_cnn())
    assert len(counts) == 8  # six convolutions and two dense layers
    assert sum(counts.values()) == 38_896_896


def test_training_costs_three_passes_of_two_flops_per_multiply_add():
    assert flops.training_flops_per_image(models.lenet5()) == 3 * 2 * 416_520


def test_achieved_gflops():
    assert flops.achieved_gflops(1000.0, 2_000_000) == pytest.approx(2.0)
    with pytest.raises(ValueError, match="images_per_second"):
        flops.achieved_gflops(-1.0, 2_000_000)
    with pytest.raises(TypeError, match="model must be a keras.Model"):
        flops.multiply_adds("lenet5")


def test_spread_is_median_min_max():
    assert stats.spread([3.0, 1.0, 2.0]) == stats.Spread(2.0, 1.0, 3.0, 3)
    assert stats.spread([4.0, 1.0, 2.0, 3.0]).median == 2.5
    with pytest.raises(ValueError, match="non-empty"):
        stats.spread([])
    with pytest.raises(ValueError, match=r"values\[1\]"):
        stats.spread([1.0, math.nan])


def test_ratios_are_taken_round_by_round():
    baseline = [100.0, 50.0, 100.0]      # round 2 was slow for everyone
    candidate = [200.0, 100.0, 150.0]
    assert stats.round_ratios(candidate, baseline) == [2.0, 2.0, 1.5]
    assert stats.ratio_spread(candidate, baseline) == stats.Spread(2.0, 1.5, 2.0, 3)
    # Durations: baseline over candidate, so above 1 still means faster.
    assert stats.ratio_spread([10.0, 12.0], [5.0, 4.0]) == stats.Spread(2.5, 2.0, 3.0, 2)


def test_ratios_refuse_unequal_rounds_and_zero_denominators():
    with pytest.raises(ValueError, match="same length"):
        stats.round_ratios([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match=r"denominators\[0\]"):
        stats.round_ratios([1.0], [0.0])


def test_interleaved_order_rotates_so_each_goes_first_in_turn():
    assert stats.interleaved_order(["a", "b"], 3) == [["a", "b"], ["b", "a"], ["a", "b"]]
    order = stats.interleaved_order(["a", "b", "c"], 3)
    assert [r[0] for r in order] == ["a", "b", "c"]
    assert all(sorted(r) == ["a", "b", "c"] for r in order)
    with pytest.raises(ValueError, match="distinct"):
        stats.interleaved_order(["a", "a"], 2)
    with pytest.raises(ValueError, match="rounds"):
        stats.interleaved_order(["a"], 0)


def test_spread_format():
    assert stats.Spread(0.912, 0.9, 0.93, 3).format(".2f") == "0.91 [0.90–0.93]"
    assert stats.Spread(0.912, 0.912, 0.912, 1).format(".3f") == "0.912"


def test_markdown_table_renders_every_cell():
    rows = [stats.Row("throughput", "recipe | b32", "none: recipe style", "400 [380–420]"),
            stats.Row("throughput", "pipeline b32", "notebook 03", "440 [400–460]",
                      stats.Spread(1.1, 1.05, 1.2, 5), "90 (80% of float32 peak)", "≥ 1.5×", False),
            stats.Row("accuracy", "fit", "none", "0.905", "–", "", "≥ 0.90", True)]
    lines = stats.markdown_table(rows).splitlines()
    assert lines[0] == stats.TABLE_HEADER
    assert all(line.count("|") - line.count("\\|") == 9 for line in lines)  # 8 columns
    assert "recipe \\| b32" in lines[2] and "| baseline |" in lines[2]
    assert "| 1.10× [1.05–1.20] |" in lines[3] and lines[3].endswith("| **no** |")
    assert lines[4].endswith("| ≥ 0.90 | yes |") and "| – |" in lines[4]
    with pytest.raises(ValueError, match="at least one"):
        stats.markdown_table([])


def test_learning_rate_schedules():
    assert learning_rate_at("constant", 1e-3, 0.7) == 1e-3
    assert learning_rate_at("cosine", 2e-3, 0.0) == pytest.approx(2e-3)
    assert learning_rate_at("cosine", 2e-3, 0.5) == pytest.approx(1e-3)
    assert learning_rate_at("cosine", 2e-3, 1.0) == pytest.approx(0.0)
    assert learning_rate_at("one_cycle", 4e-3, 0.0) == pytest.approx(4e-4)
    assert learning_rate_at("one_cycle", 4e-3, 0.2) == pytest.approx(4e-3)
    assert learning_rate_at("one_cycle", 4e-3, 0.6) == pytest.approx(2e-3)
    assert learning_rate_at("one_cycle", 4e-3, 1.5) == pytest.approx(0.0)  # past the budget: clamped
    with pytest.raises(ValueError, match="schedule"):
        learning_rate_at("step", 1e-3, 0.5)


def test_settings_label_every_reduced_run_as_quick():
    full, _ = run.parse_settings([])
    assert not full.quick and full.rounds >= 5 and full.seeds == 3 and full.budget == 45
    quick, _ = run.parse_settings(["--quick"])
    assert quick.quick and "QUICK RUN" in quick.describe()
    fewer, sections = run.parse_settings(["--rounds", "1", "--only", "loop"])
    assert fewer.quick and fewer.rounds == 1 and sections == ("loop",)
    chosen, _ = run.parse_settings(["--accuracy-configs", "fit_b128", "notebook05", "fit_b128"])
    assert chosen.accuracy_configs == ("fit_b128", "notebook05") and not chosen.quick
    assert full.accuracy_configs[:2] == ("notebook05", "notebook05_constant")  # the headline first
    with pytest.raises(SystemExit):
        run.parse_settings(["--rounds", "0"])


def test_notebooks_share_one_fresh_artifacts_folder_per_profile_and_can_be_kept(monkeypatch, tmp_path):
    """Notebook 06 must find what 04 and 05 saved in the same run (not train its own, which would
    time something a class never waits for); --save-notebooks hands each run a path of its own."""
    calls = []

    def fake_workload(function, **kwargs):
        calls.append((kwargs, os.environ[run.ARTIFACTS_VARIABLE]))
        return {"seconds": 1.0}

    monkeypatch.setattr(run, "run_workload", fake_workload)
    monkeypatch.setattr(run.tempfile, "tempdir", str(tmp_path))  # its fresh folders go here
    monkeypatch.setenv(run.ARTIFACTS_VARIABLE, str(tmp_path / "a developer's folder"))
    settings, _ = run.parse_settings(["--notebook-profiles", "smoke", "quick", "--save-notebooks", str(tmp_path)])
    results = run.measure_notebooks(settings)
    folders = {profile: {folder for kwargs, folder in calls if kwargs["profile"] == profile}
               for profile in ("smoke", "quick")}
    assert all(len(found) == 1 for found in folders.values()) and folders["smoke"] != folders["quick"]
    assert str(tmp_path / "a developer's folder") not in folders["smoke"] | folders["quick"]
    saved = [kwargs["save_to"] for kwargs, _ in calls]
    assert len(set(saved)) == len(saved) == len(results) and all(p.startswith(str(tmp_path)) for p in saved)
    assert any(p.endswith("05_lenet5_mnist_train_on_batch.quick.ipynb") for p in saved)
    unsaved, _ = run.parse_settings(["--notebook-profiles", "smoke"])
    calls.clear()
    run.measure_notebooks(unsaved)
    assert all(kwargs["save_to"] is None for kwargs, _ in calls)


NOTEBOOK05_SETTINGS = {"kind": "loop", "schedule": "warmup_cosine", "batch": 100, "eval_every": 5,
                      "eval_size": 500, "learning_rate": 1e-3, "peak_learning_rate": 3e-3,
                      "warmup_fraction": 0.2, "start_fraction": 0.1, "iterations": 3500}


def a_run(test_accuracy, checkpoints=((20.0, 0.88, 0.87), (40.0, 0.905, 0.90))):
    return {"test_accuracy": test_accuracy, "validation_accuracy": 0.905, "epochs": 6.5,
            "images_seen": 350_000, "trained_seconds": 40.0, "config": NOTEBOOK05_SETTINGS,
            "checkpoints": [list(c) for c in checkpoints]}


def report_of(**sections):
    results = {
        "settings": run.asdict(run.Settings(rounds=2, seeds=2)),
        "machine": {"cpu": "test CPU", "cores": 2, "tensorflow": "2.x", "python": "3.x",
                    "bf16_native": False, "load_average_at_start": [0.1, 0.1, 0.1]},
        "training_flops": {"lenet5": 2_499_120, "plain_cnn": 27_291_648, "batchnorm_cnn": 233_381_376},
        "peak": {"float32": {"gflops": 100.0}}, "seconds": 60.0, **sections}
    return [line for line in run.report(results).splitlines() if line.startswith("| ")]


def test_report_puts_notebook_05s_own_configuration_first():
    table = report_of(accuracy={name: [a_run(0.9 + i / 100) for i in range(2)] for name in run.ACCURACY_CONFIGS})
    headline = table[1]
    assert "Fashion-MNIST" in headline and "notebook 05 (its scheduled run, saved for 06)" in headline
    assert "0.905 [0.900–0.910] over 2 seed(s)" in headline and "median ≥ 0.90 from 40 s" in headline
    assert "Adam warm-up 0.1 × 0.003 → 0.003 over 20% of 3,500 iterations, then cosine to 0" in headline
    assert "≥ 0.90 (stretch: by 30 s) | yes |" in headline
    constant = next(line for line in table if "the constant run it compares" in line)
    assert "the same 3,500 iterations at a constant Adam 0.001" in constant and "stretch" not in constant
    fit = next(line for line in table if "`fit` on `image_batches`, batch 128" in line)
    assert "none: alternative" in fit
    below = report_of(accuracy={"notebook05": [a_run(0.89, ((20.0, 0.88, 0.87), (40.0, 0.89, 0.89)))] * 3})
    assert "median below 0.90 throughout" in below[1] and below[1].endswith("| **no** |")


def test_report_measures_the_loop_against_bare_calls():
    loop = {"iterations": 300, "seconds": {"bare": [4.0, 4.0], "recipe": [10.0, 8.0], "helpers": [4.4, 4.8],
                                           "helpers_schedule": [4.6, 4.6]},
            "validation_accuracy": {name: [0.8, 0.8] for name in ("bare", "recipe", "helpers", "helpers_schedule")}}
    table = report_of(loop=loop)
    bare = next(line for line in table if "bare `train_on_batch` calls" in line)
    assert "| baseline |" in bare and "4.0 [4.0–4.0] s; validation accuracy 0.800" in bare
    helpers_row = next(line for line in table if "`helpers.train_on_batches`" in line)
    assert "4.6 [4.4–4.8] s = 1.15× [1.10–1.20] the bare calls' time" in helpers_row
    assert "| 0.87× [0.83–0.91] |" in helpers_row  # the table's ratio: bare time over this one
    assert helpers_row.endswith("| ≤ 1.15× the bare calls' time | yes |")
    assert "| 16 (16% of float32 peak) |" in helpers_row  # 30,000 images in 4.6 s × 2.5 MFLOP
    recipe = next(line for line in table if "`model.evaluate`" in line)
    assert "2.25× [2.00–2.50] the bare calls' time" in recipe and recipe.endswith("|  |  |")
    slower = dict(loop, seconds={**loop["seconds"], "helpers": [4.8, 4.8]})
    assert next(line for line in report_of(loop=slower) if "`helpers.train_on_batches`" in line).endswith("| **no** |")


def test_report_reads_loop_results_written_before_the_bare_calls():
    old = {"iterations": 300, "seconds": {"recipe": [12.0, 10.0], "helpers": [4.0, 2.5]},
           "validation_accuracy": {"recipe": [0.8, 0.8], "helpers": [0.8, 0.8]}}
    helpers_row = next(line for line in report_of(loop=old) if "helpers.train_on_batches" in line)
    assert "| 3.50× [3.00–4.00] |" in helpers_row and "3.2 [2.5–4.0] s" in helpers_row


def test_first_time_median_reaches():
    runs = [[(10, 0.89), (20, 0.91)], [(12, 0.90), (21, 0.92)], [(11, 0.88), (19, 0.89)]]
    assert stats.first_time_median_reaches(runs, 0.90) == 20  # two of three hold ≥ 0.90 from 20 s
    assert stats.first_time_median_reaches(runs, 0.89) == 12
    assert stats.first_time_median_reaches(runs, 0.95) is None
    assert stats.first_time_median_reaches([[(5, 0.9)], []], 0.5) is None  # a run with nothing reached
    with pytest.raises(ValueError, match="time order"):
        stats.first_time_median_reaches([[(2, 0.9), (1, 0.8)]], 0.5)
    with pytest.raises(ValueError, match="series must hold"):
        stats.first_time_median_reaches([], 0.5)


def test_configuration_text_follows_what_ran():
    assert run.configuration_text("notebook05_peak6e-3", [a_run(0.9) | {"config": {**NOTEBOOK05_SETTINGS,
                                                                                  "peak_learning_rate": 6e-3}}]) \
        == "… the schedule peaking at 0.006"
    assert "{" in run.configuration_text("notebook05", [{"test_accuracy": 0.9}])  # old result: the template


def _two_round_results(loop_helpers_seconds, accuracies):
    return {"accuracy": {"fit_b128": [{"test_accuracy": a} for a in accuracies]},
            "loop": {"seconds": {"bare": [10.0, 10.0, 10.0], "helpers": loop_helpers_seconds}},
            "throughput": {"lenet5": {"images_per_second": {"recipe_b32": [100.0, 100.0, 100.0],
                                                            "pipeline_b128": [200.0, 250.0, 220.0]}}}}


def test_compare_names_every_ratio_and_each_accuracy():
    spreads = compare.compared_spreads(_two_round_results([5.0, 4.0, 2.0], [0.89, 0.90, 0.91]))
    assert set(spreads) == {"time to accuracy, fit_b128: test accuracy", "loop, helpers: speed relative to bare",
                            "throughput, lenet5 pipeline_b128: ratio to recipe_b32"}
    assert spreads["loop, helpers: speed relative to bare"] == stats.Spread(2.5, 2.0, 5.0, 3)
    written_before = {"loop": {"seconds": {"recipe": [10.0, 10.0], "helpers": [4.0, 5.0]}}}
    assert compare.compared_spreads(written_before) == {
        "loop, helpers: speed relative to recipe": stats.Spread(2.25, 2.0, 2.5, 2)}
    assert spreads["throughput, lenet5 pipeline_b128: ratio to recipe_b32"] == stats.Spread(2.2, 2.0, 2.5, 3)


def test_compare_tells_agreement_from_overlap_and_from_disagreement():
    first = _two_round_results([5.0, 4.0, 2.0], [0.89, 0.90, 0.91])       # speed-up 2.5 [2.0–5.0]
    same = _two_round_results([4.0, 3.0, 4.5], [0.90, 0.905, 0.895])      # 2.5 [2.2–3.3]: agrees
    overlapping = _two_round_results([2.1, 2.0, 1.8], [0.90, 0.90, 0.90])  # 5.0 [4.8–5.6]: overlaps only
    slower = _two_round_results([9.0, 8.0, 9.5], [0.80, 0.81, 0.82])      # 1.1 [1.05–1.25]: disagrees
    loop = "loop, helpers: speed relative to bare"

    def by_name(agreements):
        return {a.name: a for a in agreements}

    assert all(a.medians_within and a.overlap for a in compare.compare(first, same))
    assert by_name(compare.compare(first, overlapping))[loop].overlap
    assert not by_name(compare.compare(first, overlapping))[loop].medians_within
    disagreeing = by_name(compare.compare(first, slower))
    assert not disagreeing[loop].overlap and not disagreeing["time to accuracy, fit_b128: test accuracy"].overlap
    assert "1 of 3 comparisons have each median within" in compare.report(compare.compare(first, slower))


def test_compare_refuses_runs_with_nothing_in_common_and_bad_files(tmp_path):
    with pytest.raises(ValueError, match="share no comparison"):
        compare.compare({"loop": _two_round_results([1.0] * 3, [0.9])["loop"]}, {"accuracy": {}})
    with pytest.raises(TypeError, match="results must be a dict"):
        compare.compared_spreads([1, 2])
    with pytest.raises(FileNotFoundError, match="benchmarks/run.py"):
        compare.load(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("not json")
    with pytest.raises(ValueError, match="bad.json is not a benchmark result"):
        compare.load(tmp_path / "bad.json")
