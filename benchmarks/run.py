"""Speed and memory of the series against the recipes it teaches, measured in one run.

    python benchmarks/run.py            # everything, ~15 min on 2 cores
    python benchmarks/run.py --only throughput loop

Prints a Markdown table (with the machine) and writes the same as JSON to
``benchmarks/results/latest.json``. Every speed figure is a ratio measured in
this run against "recipe style" – what the beginner recipes do: images divided
by 255.0 (float64 NumPy arrays), ``fit`` with batch 32, ``model.evaluate`` inside
a ``train_on_batch`` loop – because these machines are shared and noisy: absolute
numbers drift, ratios taken minutes apart hold. Nothing here is a test.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
SECTIONS = ("import", "throughput", "loop", "fashion", "memory", "notebooks")
TARGETS = {  # the targets, checked in the summary
    "throughput_lenet5": 2.0, "throughput_plain_cnn": 2.0, "throughput_batchnorm_cnn": 1.5,
    "loop_seconds": 3.0, "fashion_accuracy_45s": 0.90, "notebook_quick_seconds": 180,
    "cifar_peak_gb": 1.5,
}


# --------------------------------------------------------------------------- helpers


def machine() -> dict:
    cpu = "unknown"
    if Path("/proc/cpuinfo").exists():
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    import tensorflow as tf

    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "tensorflow": tf.__version__, "bf16_native": cpu_has_native_bf16(),
            "gpu": bool(tf.config.list_physical_devices("GPU"))}


def cpu_has_native_bf16() -> bool:
    """True when the CPU has bfloat16 instructions (AVX512-BF16 or AMX): detected, not assumed."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return " avx512_bf16" in flags or " amx_bf16" in flags


def in_subprocess(code: str, env: dict | None = None, timeout: int = 1800) -> dict:
    """Run Python ``code`` that prints one JSON line last; add its peak RSS (children included)."""
    wrapper = (code + "\nimport resource, json as _j\n"
               "_r = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,"
               " resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
               "print(_j.dumps({'peak_rss_mb': _r / 1024}))\n")
    full_env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **(env or {})}
    done = subprocess.run([sys.executable, "-c", wrapper], capture_output=True, text=True,
                          env=full_env, cwd=ROOT, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"benchmark subprocess failed:\n{done.stderr[-3000:]}")
    result = {}
    for line in done.stdout.splitlines():
        if line.startswith("{"):
            result.update(json.loads(line))
    return result


# --------------------------------------------------------------------------- sections


def bench_import() -> dict:
    times = []
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import tensorflow"], check=True,
                       env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}, capture_output=True)
        times.append(time.perf_counter() - start)
    return {"start_and_import_tensorflow_s": statistics.median(times)}


THROUGHPUT_CODE = """
import json, time, numpy as np, keras, tensorflow as tf, helpers
from helpers import standins
helpers.setup(0, helpers.resolve_profile("smoke"))
name, style, batch, n, epochs, policy = {args}
if policy:
    keras.mixed_precision.set_global_policy(policy)
shape = (32, 32, 1) if name == "lenet5" else (32, 32, 3)
x, y = standins.make_shapes(n, image_size=32, channels=shape[-1], seed=0)
x = x.reshape((n,) + shape)
model = getattr(helpers.models, name)()
logits = name == "plain_cnn"
model.compile(optimizer="adam", metrics=["accuracy"],
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=logits))
class Timer(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None): self.start = time.perf_counter()
    def on_epoch_end(self, epoch, logs=None): seconds.append(time.perf_counter() - self.start)
seconds = []
if style == "recipe":
    model.fit(x / 255.0, y, batch_size=batch, epochs=epochs, verbose=0, callbacks=[Timer()])
else:
    data = helpers.image_batches(x, y, batch, shuffle=True, seed=0)
    model.fit(data, epochs=epochs, verbose=0, callbacks=[Timer()])
print(json.dumps({{"images_per_s": n / float(np.median(seconds[1:]))}}))
"""


def bench_throughput(quick: bool) -> dict:
    """Images/s of fit: recipe style vs the notebooks' path, median of epochs after a warm-up."""
    sizes = {"lenet5": 8192, "plain_cnn": 4096, "batchnorm_cnn": 1024}
    epochs = 3 if quick else 4
    results = {}
    for name, n in sizes.items():
        row = {}
        row["recipe_b32"] = in_subprocess(
            THROUGHPUT_CODE.format(args=(name, "recipe", 32, n, epochs, None)))["images_per_s"]
        for batch in (32, 128, 256):
            row[f"ours_b{batch}"] = in_subprocess(
                THROUGHPUT_CODE.format(args=(name, "ours", batch, n, epochs, None)))["images_per_s"]
        if cpu_has_native_bf16() and name == "batchnorm_cnn":
            row["ours_b128_bf16"] = in_subprocess(
                THROUGHPUT_CODE.format(args=(name, "ours", 128, n, epochs, "mixed_bfloat16")))["images_per_s"]
        best = max((k for k in row if k.startswith("ours")), key=row.get)
        row["best"] = best
        row["ratio_best"] = row[best] / row["recipe_b32"]
        row["ratio_b32"] = row["ours_b32"] / row["recipe_b32"]
        results[name] = row
        print(f"  throughput {name}: " + ", ".join(f"{k} {v:.0f}" if isinstance(v, float) else f"{k} {v}"
                                                   for k, v in row.items()), flush=True)
    return results


LOOP_CODE = """
import json, time, numpy as np, keras, helpers
helpers.setup(98, helpers.resolve_profile("smoke"))
rng = np.random.default_rng(0)
x_train = rng.random((60000, 32, 32, 1), dtype=np.float32)
y_train = rng.integers(0, 10, 60000).astype(np.uint8)
x_test, y_test = x_train[:10000], y_train[:10000]
def fresh():
    keras.utils.set_random_seed(98)
    m = helpers.models.lenet5()
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return m
# Recipe: random batch, train_on_batch, model.evaluate on 500 test images every 5 iterations.
model = fresh()
model.train_on_batch(x_train[:100], y_train[:100]); model.evaluate(x_test[:500], y_test[:500], verbose=0)
train_s = eval_s = 0.0
for i in range(1, 301):
    idx = rng.integers(0, len(x_train), 100)
    t = time.perf_counter(); model.train_on_batch(x_train[idx], y_train[idx]); train_s += time.perf_counter() - t
    if i % 5 == 0:
        idx = rng.integers(0, len(x_test), 500)
        t = time.perf_counter(); model.evaluate(x_test[idx], y_test[idx], verbose=0); eval_s += time.perf_counter() - t
recipe = {"total_s": train_s + eval_s, "eval_s": eval_s}
# Ours: helpers.train_on_batches (same train_on_batch calls, compiled evaluation), after a warm-up.
model = fresh()
helpers.train_on_batches(model, x_train, y_train, x_test, y_test, 5, progress=False)
record = helpers.train_on_batches(model, x_train, y_train, x_test, y_test, 300, progress=False)
predict = helpers.training.compiled_predictor(model)
predict(x_test[:500])
t = time.perf_counter()
for _ in range(60):
    predict(x_test[:500])
ours_eval = time.perf_counter() - t
print(json.dumps({"recipe": recipe, "ours": {"total_s": record.seconds, "eval_s": ours_eval}}))
"""


def bench_loop() -> dict:
    """The recipe's 300-iteration train_on_batch loop with evaluation every 5 iterations."""
    result = in_subprocess(LOOP_CODE)
    for style in ("recipe", "ours"):
        r = result[style]
        r["ms_per_iteration"] = 1000 * r["total_s"] / 300
        r["eval_share"] = r["eval_s"] / r["total_s"]
    result["ratio"] = result["recipe"]["total_s"] / result["ours"]["total_s"]
    print(f"  loop: recipe {result['recipe']['total_s']:.1f} s, ours {result['ours']['total_s']:.1f} s", flush=True)
    return result


FASHION_CODE = """
import json, time, numpy as np, keras, helpers
seed = {seed}
profile = helpers.resolve_profile("full", allow_standin=False)
helpers.setup(seed, profile)
ds = helpers.load_dataset("fashion_mnist", profile)
pad = lambda a: np.pad(a, ((0, 0), (2, 2), (2, 2)))[..., None]          # uint8 (N, 32, 32, 1)
x, y, x_test, y_test = pad(ds.x_train), ds.y_train, pad(ds.x_test).astype("float32") / 255.0, ds.y_test
# Model selection on a validation split carved from the training set, never the test set.
x_train, y_train = x[:55000], y[:55000]
x_val, y_val = x[55000:].astype("float32") / 255.0, y[55000:]

def lenet():
    model = helpers.models.lenet5()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model

def accuracy(model, a, b):
    return float(np.mean(np.argmax(helpers.training.compiled_predictor(model)(a), axis=1) == b))

# The recipe: 300 train_on_batch iterations of 100 images (float32 in memory, as notebook 04).
model = lenet()
helpers.train_on_batches(model, x_train.astype("float32") / 255.0, y_train, x_val, y_val, 300,
                         progress=False, seed=seed)
after_300 = accuracy(model, x_test, y_test)

# The series' fast path: fit on the uint8 tf.data pipeline at the measured best batch size.
keras.utils.set_random_seed(seed)
model = lenet()
batches = helpers.image_batches(x_train, y_train, 128, shuffle=True, seed=seed)
trained_s, checkpoints = 0.0, []
while trained_s < 60:
    start = time.perf_counter()
    model.fit(batches, epochs=1, verbose=0)
    trained_s += time.perf_counter() - start
    checkpoints.append((trained_s, accuracy(model, x_val, y_val), model.get_weights()))

def best_within(limit):
    s, v, w = max((c for c in checkpoints if c[0] <= limit), key=lambda c: c[1])
    model.set_weights(w)
    return accuracy(model, x_test, y_test), s

acc45, s45 = best_within(45)
acc60, s60 = best_within(60)
print(json.dumps({{"after_300": after_300, "best_45s": acc45, "best_60s": acc60,
                   "chosen_at_45s": s45, "chosen_at_60s": s60, "epochs_in_60s": len(checkpoints)}}))
"""


def bench_fashion() -> dict:
    """LeNet-5 on real Fashion-MNIST: the recipe's 300 iterations, and the series' path within 45/60 s."""
    sys.path.insert(0, str(ROOT))
    from helpers import data

    if not (data.DEBIAN_FASHION_MNIST.is_dir() or data.is_cached("fashion_mnist")):
        print("  fashion: skipped – real Fashion-MNIST absent (apt-get install dataset-fashion-mnist)")
        return {"skipped": "real Fashion-MNIST absent: apt-get install dataset-fashion-mnist"}
    runs = [in_subprocess(FASHION_CODE.format(seed=seed)) for seed in (1, 2, 3)]
    result = {key: statistics.median(r[key] for r in runs)
              for key in ("after_300", "best_45s", "best_60s")}
    result["runs"] = runs
    print(f"  fashion: {result}", flush=True)
    return result


MEMORY_CODE = """
import json, numpy as np, keras, helpers
from helpers import standins
style = "{style}"
x_train, y_train = standins.make_shapes(50000, seed=1)
x_test, y_test = standins.make_shapes(10000, seed=2)
model = helpers.models.plain_cnn()
model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
if style == "recipe":
    x_train, x_test = x_train / 255.0, x_test / 255.0
    model.fit(x_train, y_train, batch_size=32, epochs=1, steps_per_epoch=100, verbose=0,
              validation_data=(x_test, y_test))
else:
    model.fit(helpers.image_batches(x_train, y_train, 32, shuffle=True), epochs=1, steps_per_epoch=100,
              verbose=0, validation_data=helpers.image_batches(x_test, y_test, 256))
print(json.dumps({{}}))
"""


def bench_memory() -> dict:
    """Peak RSS training on full-size CIFAR-10 arrays (50,000 + 10,000 images)."""
    result = {style: in_subprocess(MEMORY_CODE.format(style=style))["peak_rss_mb"]
              for style in ("recipe", "ours")}
    print(f"  memory: {result}", flush=True)
    return result


NOTEBOOK_CODE = """
import json, sys
sys.path.insert(0, "tests")
from pathlib import Path
from refresh_notebook_outputs import run
notebook, seconds = run(Path({path!r}).resolve(), overrides={overrides!r})
print(json.dumps({{"seconds": seconds}}))
"""


def bench_notebooks(profiles=("smoke", "quick")) -> dict:
    """Wall time and peak memory (kernel included) of every notebook, per profile."""
    results = {}
    for profile in profiles:
        artifacts = tempfile.mkdtemp(prefix=f"bench-{profile}-")
        env = {"CNN_PROFILE": profile, "CNN_ARTIFACTS_DIR": artifacts, "CNN_STATIC_WIDGETS": "1",
               "KERAS_HOME": os.environ.get("KERAS_HOME", str(ROOT / ".cache" / "keras"))}
        if profile != "smoke":
            env["CNN_ALLOW_STANDIN"] = "1"  # CIFAR-10/MNIST cannot be downloaded here
        for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
            overrides = ('DATASET = "fashion_mnist"',) if path.name.startswith("04") and profile != "smoke" else ()
            r = in_subprocess(NOTEBOOK_CODE.format(path=str(path), overrides=overrides), env=env)
            results[f"{profile}/{path.stem}"] = r
            print(f"  notebook {profile}/{path.stem}: {r['seconds']:.0f} s, {r['peak_rss_mb']:.0f} MB", flush=True)
    return results


# --------------------------------------------------------------------------- report


def markdown(results: dict) -> str:
    m = results["machine"]
    lines = [f"Machine: {m['cpu']}, {m['cores']} cores, TensorFlow {m['tensorflow']}, "
             f"Python {m['python']}, GPU: {'yes' if m['gpu'] else 'no'}, native bf16: "
             f"{'yes' if m['bf16_native'] else 'no'}.", "",
             "| measurement | recipe style | this series | ratio | target | met |",
             "|---|---|---|---|---|---|"]

    def row(what, recipe, ours, ratio, target, met):
        lines.append(f"| {what} | {recipe} | {ours} | {ratio} | {target} | {'yes' if met else '**no**'} |")

    if "import" in results:
        s = results["import"]["start_and_import_tensorflow_s"]
        lines.append(f"| process start + `import tensorflow` | | {s:.1f} s | | | |")
    for name, row_data in results.get("throughput", {}).items():
        target = TARGETS[f"throughput_{name}"]
        best = row_data["best"]
        row(f"{name} training throughput (images/s; ours: {best.replace('ours_', '')})",
            f"{row_data['recipe_b32']:.0f}", f"{row_data[best]:.0f}", f"{row_data['ratio_best']:.2f}×",
            f"≥ {target}×", row_data["ratio_best"] >= target)
        lines.append(f"| … same batch 32, float32 `tf.data` only | {row_data['recipe_b32']:.0f} | "
                     f"{row_data['ours_b32']:.0f} | {row_data['ratio_b32']:.2f}× | | |")
        if "ours_b128_bf16" in row_data:
            bf16 = row_data["ours_b128_bf16"]
            lines.append(f"| … batch 128, mixed bfloat16 | {row_data['recipe_b32']:.0f} | "
                         f"{bf16:.0f} | {bf16 / row_data['recipe_b32']:.2f}× | | |")
    if "loop" in results:
        lp = results["loop"]
        row("300-iteration `train_on_batch` loop, evaluating every 5 (s)", f"{lp['recipe']['total_s']:.1f}",
            f"{lp['ours']['total_s']:.1f}", f"{lp['ratio']:.1f}×", f"≤ {TARGETS['loop_seconds']} s",
            lp["ours"]["total_s"] <= TARGETS["loop_seconds"])
        lines.append(f"| … ms per iteration / share spent evaluating | {lp['recipe']['ms_per_iteration']:.1f} / "
                     f"{lp['recipe']['eval_share']:.0%} | {lp['ours']['ms_per_iteration']:.1f} / "
                     f"{lp['ours']['eval_share']:.0%} | | | |")
    if "fashion" in results:
        f = results["fashion"]
        if "skipped" in f:
            lines.append(f"| LeNet-5 on real Fashion-MNIST | skipped: {f['skipped']} | | | | |")
        else:
            lines.append(f"| LeNet-5 on Fashion-MNIST, test accuracy after 300 iterations (median of 3 seeds) | | "
                         f"{f['after_300']:.3f} | | | |")
            row("… best within 45 s of training (`fit`, `tf.data`, batch 128; chosen on a validation split)", "",
                f"{f['best_45s']:.3f}", "",
                f"≥ {TARGETS['fashion_accuracy_45s']}", f["best_45s"] >= TARGETS["fashion_accuracy_45s"])
            lines.append(f"| … best within 60 s of training | | {f['best_60s']:.3f} | | | |")
    if "memory" in results:
        mem = results["memory"]
        row("peak memory, plain CNN on full-size CIFAR-10 arrays (GB)", f"{mem['recipe'] / 1024:.2f}",
            f"{mem['ours'] / 1024:.2f}", f"{mem['recipe'] / mem['ours']:.1f}× less",
            f"≤ {TARGETS['cifar_peak_gb']} GB", mem["ours"] / 1024 <= TARGETS["cifar_peak_gb"])
    for key, r in results.get("notebooks", {}).items():
        quick = key.startswith("quick/")
        met = r["seconds"] <= TARGETS["notebook_quick_seconds"]
        lines.append(f"| notebook {key}: wall time / peak memory | | {r['seconds']:.0f} s / "
                     f"{r['peak_rss_mb'] / 1024:.2f} GB | | "
                     + (f"≤ {TARGETS['notebook_quick_seconds']} s | {'yes' if met else '**no**'} |"
                        if quick else " | |"))
    lines.append("")
    lines.append(f"Whole benchmark: {results['seconds'] / 60:.1f} min.")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=SECTIONS, help="run only these sections")
    parser.add_argument("--quick", action="store_true", help="fewer repeats (a rough look)")
    args = parser.parse_args(argv)
    chosen = args.only or SECTIONS
    os.environ.setdefault("KERAS_HOME", str(ROOT / ".cache" / "keras"))
    Path(os.environ["KERAS_HOME"]).mkdir(parents=True, exist_ok=True)
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"

    start = time.perf_counter()
    results = {"machine": machine()}
    runners = {"import": bench_import, "throughput": lambda: bench_throughput(args.quick),
               "loop": bench_loop, "fashion": bench_fashion, "memory": bench_memory,
               "notebooks": bench_notebooks}
    for section in SECTIONS:
        if section in chosen:
            print(f"{section} ...", flush=True)
            results[section] = runners[section]()
    results["seconds"] = time.perf_counter() - start
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=1, default=str))
    (RESULTS / "latest.md").write_text(markdown(results) + "\n")
    print()
    print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
