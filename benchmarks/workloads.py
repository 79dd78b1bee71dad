"""The measured code: each function runs in a fresh process started by ``benchmarks/run.py``.

    python -m benchmarks.workloads <function> '<json keyword arguments>'

prints the function's result as one JSON line starting with ``RESULT_PREFIX``
(with the process's peak memory added). Fresh processes keep one measurement's
compiled functions, memory and global settings (mixed precision) out of the
next; within a process, the configurations being compared alternate round by
round (:func:`benchmarks.stats.interleaved_order`), so a neighbour's load falls
on all of them alike.
"""

from __future__ import annotations

import json
import math
import os
import resource
import sys
import time
from pathlib import Path

import keras
import numpy as np

import helpers
from benchmarks import stats
from helpers import checks

ROOT = Path(__file__).resolve().parent.parent
RESULT_PREFIX = "BENCHMARK-RESULT "
SCHEDULES = ("constant", "cosine", "one_cycle")  # the fit variants', following the time budget
LOOP_SCHEDULES = ("constant", "warmup_cosine")  # notebook 05's two runs, over its iterations
ONE_CYCLE_WARMUP = 0.2  # share of the budget spent rising from peak/10 to the peak
LOOP_CHUNK = 100  # train_on_batch iterations between checkpoints in time_to_accuracy


# --------------------------------------------------------------------------- the limit


def matmul_gflops(dtype: str = "float32", size: int = 2048, repeats: int = 10) -> list[float]:
    """GFLOP/s of each of ``repeats`` ``tf.linalg.matmul`` calls on two ``size``×``size`` matrices."""
    import tensorflow as tf

    checks.one_of(dtype, "dtype", ("float32", "bfloat16"))
    size = checks.positive_int(size, "size")
    a = tf.cast(tf.random.stateless_normal((size, size), seed=(1, 2)), dtype)
    b = tf.cast(tf.random.stateless_normal((size, size), seed=(3, 4)), dtype)
    product = tf.function(tf.linalg.matmul)
    product(a, b).numpy()  # warm-up: tracing and oneDNN's first-call set-up
    rates = []
    for _ in range(checks.positive_int(repeats, "repeats")):
        start = time.perf_counter()
        product(a, b).numpy()
        rates.append(2 * size ** 3 / (time.perf_counter() - start) / 1e9)
    return rates


def matmul_peak(dtype: str = "float32", size: int = 2048, repeats: int = 10) -> dict:
    """Best GFLOP/s of :func:`matmul_gflops`: this CPU's practical peak for ``dtype``."""
    rates = matmul_gflops(dtype, size, repeats)
    return {"dtype": dtype, "size": size, "gflops": max(rates), "gflops_each": rates}


# --------------------------------------------------------------------------- fit throughput


def _compiled(name: str, learning_rate: float, policy: str = "float32", jit_compile: bool = False):
    """``helpers.models.<name>()`` compiled as its notebook compiles it (Adam, sparse cross-entropy)."""
    keras.mixed_precision.set_global_policy(policy)  # layers keep the policy they were built under
    model = getattr(helpers.models, name)()
    keras.mixed_precision.set_global_policy("float32")
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=name == "plain_cnn")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=loss, metrics=["accuracy"],
                  jit_compile=jit_compile)
    return model


def _stand_in_images(name: str, images: int) -> tuple[np.ndarray, np.ndarray]:
    """uint8 images of the model's input shape (speed does not depend on what they show)."""
    from helpers import standins

    channels = 1 if name == "lenet5" else 3
    x, y = standins.make_shapes(images, image_size=32, channels=channels, seed=0)
    return x.reshape((images, 32, 32, channels)), y


class EpochClock(keras.callbacks.Callback):
    """Times each epoch from its first to its last batch (the ``fit`` call's set-up left out)."""

    seconds = 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds = time.perf_counter() - self.start


def fit_throughput(model: str, variants: list[dict], rounds: int, images: int, seed: int = 0) -> dict:
    """Training images/s of ``model`` under each variant, one epoch each, variants alternating.

    A variant: ``{"name", "input": "recipe" | "pipeline", "batch", "learning_rate", "policy"}``.
    ``"recipe"``: ``fit`` on float64 arrays divided by 255 (the beginner recipe);
    ``"pipeline"``: ``fit`` on ``helpers.image_batches`` (uint8 → float32 per batch,
    what notebook 03 does). Each variant first trains one untimed epoch (tracing).
    Each round also measures the float32 matmul peak (:func:`matmul_gflops`).
    """
    checks.one_of(model, "model", ("lenet5", "plain_cnn", "batchnorm_cnn"))
    rounds = checks.positive_int(rounds, "rounds")
    images = checks.positive_int(images, "images")
    helpers.setup(seed, helpers.resolve_profile("smoke"))
    x, y = _stand_in_images(model, images)
    recipe_x = x / 255.0  # float64, as the recipe has it
    models, inputs = {}, {}
    for variant in variants:
        name = variant["name"]
        checks.one_of(variant["input"], f"{name} input", ("recipe", "pipeline"))
        models[name] = _compiled(model, variant["learning_rate"], variant.get("policy", "float32"))
        if variant["input"] == "pipeline":
            batches = helpers.image_batches(x, y, variant["batch"], shuffle=True, seed=seed)
            inputs[name] = {"x": batches, "shuffle": False}  # the pipeline shuffles itself
        else:
            inputs[name] = {"x": recipe_x, "y": y, "batch_size": variant["batch"]}
    clock = EpochClock()
    for name in models:  # warm-up
        models[name].fit(**inputs[name], epochs=1, verbose=0)
    per_second = {name: [] for name in models}
    peak = []  # the float32 limit, measured in every round beside the models
    for order in stats.interleaved_order(list(models), rounds):
        peak.append(max(matmul_gflops("float32", repeats=3)))
        for name in order:
            models[name].fit(**inputs[name], epochs=1, verbose=0, callbacks=[clock])
            per_second[name].append(images / clock.seconds)
    return {"model": model, "images": images, "images_per_second": per_second, "float32_peak_gflops": peak}


# --------------------------------------------------------------------------- the train_on_batch loop


def _lenet5_data(validation_size: float = 0.1):
    """Fashion-MNIST as notebook 05 prepares it (real when available, else its announced stand-in)."""
    profile = helpers.resolve_profile("full", allow_standin=True)
    data = helpers.load_dataset("fashion_mnist", profile, validation_size=validation_size, seed=0)
    return data


def bare_loop(model, x_train, y_train, iterations: int, batch_size: int = 100, seed: int = 98) -> None:
    """``iterations`` bare ``train_on_batch`` calls on random batches: the floor a loop cannot beat.

    The batches are drawn as the other loops draw them (distinct random examples);
    nothing is evaluated, recorded or reset.
    """
    rng = np.random.default_rng(seed)
    for _ in range(iterations):
        batch = rng.choice(len(x_train), size=batch_size, replace=False)
        model.train_on_batch(x_train[batch], y_train[batch])


def written_out_loop(model, x_train, y_train, x_val, y_val, iterations: int, batch_size: int = 100,
                     eval_every: int = 5, eval_size: int = 500, seed: int = 98) -> None:
    """Notebook 05's first loop as a recipe writes it: ``model.evaluate`` every ``eval_every``.

    The notebook draws the same batches and also shows a progress bar; the bar
    is left out here and in the helpers' loop alike.
    """
    rng = np.random.default_rng(seed)
    for iteration in range(1, iterations + 1):
        batch = rng.choice(len(x_train), size=batch_size, replace=False)
        model.reset_metrics()
        model.train_on_batch(x_train[batch], y_train[batch])
        if iteration % eval_every == 0:
            sample = rng.choice(len(x_val), size=eval_size, replace=False)
            model.evaluate(x_val[sample], y_val[sample], verbose=0)


def _accuracy(model, x, y) -> float:
    predict = helpers.training.compiled_predictor(model)
    scores = np.concatenate([predict(x[i:i + 2000]).numpy() for i in range(0, len(x), 2000)])
    return float(np.mean(np.argmax(scores, axis=1) == y))


LOOPS = ("bare", "recipe", "helpers", "helpers_schedule")


def train_on_batch_loop(variants: list[dict], rounds: int, iterations: int = 300, seed: int = 98) -> dict:
    """Seconds for ``iterations`` of LeNet-5's ``train_on_batch`` loop at batch 100, per variant.

    A variant: ``{"name", "loop": one of LOOPS, "jit_compile": bool}``. ``"bare"``:
    :func:`bare_loop` (no evaluation); ``"recipe"``: :func:`written_out_loop`
    (``model.evaluate`` every 5); ``"helpers"``: ``helpers.train_on_batches``
    (evaluating 500 images every 5); ``"helpers_schedule"``: the same with
    notebook 05's warm-up + cosine schedule over the ``iterations``. Every round
    trains a fresh model, so each time includes the first call's tracing, as a
    learner running the cell waits for it; an untimed round of each variant first
    pays the process's one-time costs. Also returns each model's validation
    accuracy at the end (all validation images, outside the timing).
    """
    rounds = checks.positive_int(rounds, "rounds")
    iterations = checks.positive_int(iterations, "iterations")
    helpers.setup(seed, helpers.resolve_profile("smoke"))
    data = _lenet5_data()
    x_train, x_val = helpers.recipes.pad_to_32(data.x_train), helpers.recipes.pad_to_32(data.x_val)
    y_train, y_val = data.y_train, data.y_val
    by_name = {variant["name"]: variant for variant in variants}
    for name, variant in by_name.items():
        checks.one_of(variant["loop"], f"{name} loop", LOOPS)
    budget = helpers.recipes.LENET5.budget(helpers.resolve_profile("full", allow_standin=True))

    def one_round(name: str) -> tuple[float, float]:
        keras.utils.set_random_seed(seed)
        model = _compiled("lenet5", 1e-3, jit_compile=by_name[name].get("jit_compile", False))
        loop = by_name[name]["loop"]
        start = time.perf_counter()
        if loop == "bare":
            bare_loop(model, x_train, y_train, iterations, seed=seed)
        elif loop == "recipe":
            written_out_loop(model, x_train, y_train, x_val, y_val, iterations, seed=seed)
        else:
            schedule = (helpers.training.warmup_cosine(budget["peak_learning_rate"], iterations,
                                                       budget["warmup_fraction"], budget["start_fraction"])
                        if loop == "helpers_schedule" else None)
            helpers.train_on_batches(model, x_train, y_train, x_val, y_val, iterations, seed=seed,
                                     progress=False, schedule=schedule)
        return time.perf_counter() - start, _accuracy(model, x_val, y_val)

    for name in by_name:
        one_round(name)
    seconds = {name: [] for name in by_name}
    accuracy = {name: [] for name in by_name}
    for order in stats.interleaved_order(list(by_name), rounds):
        for name in order:
            taken, reached = one_round(name)
            seconds[name].append(taken)
            accuracy[name].append(reached)
    return {"iterations": iterations, "dataset": data.source, "seconds": seconds,
            "validation_accuracy": accuracy}


# --------------------------------------------------------------------------- time to accuracy


def learning_rate_at(schedule: str, peak: float, fraction: float) -> float:
    """The learning rate ``fraction`` of the way through a training budget (the ``fit`` variants).

    ``"constant"``: ``peak`` throughout. ``"cosine"``: from ``peak`` down to 0
    along half a cosine. ``"one_cycle"``: a linear rise from ``peak``/10 to
    ``peak`` over the first ``ONE_CYCLE_WARMUP`` of the budget, then cosine down to 0.
    """
    checks.one_of(schedule, "schedule", SCHEDULES)
    peak = checks.number(peak, "peak", 0, low_open=True)
    fraction = min(max(checks.number(fraction, "fraction", 0), 0.0), 1.0)
    if schedule == "constant":
        return peak
    if schedule == "one_cycle":
        if fraction < ONE_CYCLE_WARMUP:
            return peak * (0.1 + 0.9 * fraction / ONE_CYCLE_WARMUP)
        fraction = (fraction - ONE_CYCLE_WARMUP) / (1 - ONE_CYCLE_WARMUP)
    return peak * 0.5 * (1 + math.cos(math.pi * fraction))


class _Budget:
    """Training seconds spent so far, with evaluation time left out."""

    def __init__(self, seconds: float):
        self.seconds, self.spent, self.started = seconds, 0.0, None

    def start(self):
        self.started = time.perf_counter()

    def pause(self):
        self.spent += time.perf_counter() - self.started
        self.started = None

    def now(self) -> float:
        return self.spent + (time.perf_counter() - self.started if self.started is not None else 0.0)


def _fit_within(model, batches, budget: _Budget, config: dict, checkpoint) -> None:
    """``fit`` until the budget is spent: the learning rate follows the schedule in time, not steps."""
    class Scheduled(keras.callbacks.Callback):
        last = None

        def on_train_batch_begin(self, batch, logs=None):
            if config["schedule"] != "constant":
                fraction = budget.now() / budget.seconds
                self.model.optimizer.learning_rate.assign(
                    learning_rate_at(config["schedule"], config["learning_rate"], fraction))

        def on_train_batch_end(self, batch, logs=None):
            now = budget.now()
            step = now - self.last if self.last is not None else 0.0
            self.last = now
            if now + step > budget.seconds:  # the next step would overrun the budget
                self.model.stop_training = True

        def on_epoch_end(self, epoch, logs=None):
            budget.pause()
            checkpoint()
            self.last = None
            budget.start()

    budget.start()
    model.fit(batches, epochs=10_000, verbose=0, shuffle=False, callbacks=[Scheduled()])
    budget.pause()


def notebook05_config(config: dict) -> dict:
    """A ``"loop"`` configuration completed from notebook 05's recipe (``recipes.LENET5``, full budget).

    ``config``: ``{"kind": "loop", "schedule": "warmup_cosine" | "constant"}``, optionally
    overriding ``"peak_learning_rate"`` or ``"schedule_iterations"``. Returns the
    settings the run uses: batch, evaluation, learning rates and iterations.
    """
    checks.one_of(config.get("schedule"), "config schedule", LOOP_SCHEDULES)
    budget = helpers.recipes.LENET5.budget(helpers.resolve_profile("full", allow_standin=True))
    resolved = {"kind": "loop", "schedule": config["schedule"], "batch": budget["batch_size"],
                "eval_every": budget["eval_every"], "eval_size": budget["eval_size"],
                "learning_rate": budget["learning_rate"],
                "peak_learning_rate": config.get("peak_learning_rate", budget["peak_learning_rate"]),
                "warmup_fraction": budget["warmup_fraction"], "start_fraction": budget["start_fraction"],
                "iterations": config.get("schedule_iterations", budget["schedule_iterations"])}
    checks.positive_int(resolved["iterations"], "config schedule_iterations")
    checks.number(resolved["peak_learning_rate"], "config peak_learning_rate", 0, low_open=True)
    return resolved


def _train_notebook05(model, data, x_train, x_val, config: dict, seed: int, budget: _Budget,
                      checkpoint) -> int:
    """Notebook 05's run, ``LOOP_CHUNK`` iterations at a time, until done or the budget is spent.

    Each chunk is one ``helpers.train_on_batches`` call, its evaluations every 5
    included in the training time; the schedule continues from chunk to chunk.
    Returns the iterations trained.
    """
    rates = None
    if config["schedule"] == "warmup_cosine":
        start = time.perf_counter()  # counted: the notebook's call computes them too
        rates = helpers.training.learning_rates(helpers.training.warmup_cosine(
            config["peak_learning_rate"], config["iterations"], config["warmup_fraction"],
            config["start_fraction"]), config["iterations"])
        budget.spent += time.perf_counter() - start
    done, step = 0, 0.0
    while done < config["iterations"] and budget.now() + step <= budget.seconds:
        size = min(LOOP_CHUNK, config["iterations"] - done)
        schedule = None if rates is None else (lambda i, offset=done: rates[offset + i])
        record = helpers.train_on_batches(model, x_train, data.y_train, x_val, data.y_val, size,
                                          batch_size=config["batch"], eval_every=config["eval_every"],
                                          eval_size=config["eval_size"], seed=seed + done,
                                          progress=False, schedule=schedule)
        budget.spent += record.seconds
        step, done = record.seconds, done + size
        checkpoint()
    return done


def time_to_accuracy(config: dict, seed: int, budget_seconds: float = 45.0) -> dict:
    """LeNet-5 on real Fashion-MNIST: test accuracy of the model chosen on validation within a budget.

    ``config``: ``{"kind": "loop", ...}`` is notebook 05's own configuration
    (:func:`notebook05_config`: ``helpers.train_on_batches`` with the recipe's
    batch, evaluations and schedule, for its ``schedule_iterations``, in chunks of
    ``LOOP_CHUNK`` iterations); ``{"kind": "fit", "batch", "learning_rate",
    "schedule", "policy"}`` trains with ``fit`` on ``helpers.image_batches``, the
    schedule following the time budget. After each chunk or epoch the whole
    validation split is scored, outside the budget. The checkpoint best on
    validation within ``budget_seconds`` of training is the result, its test
    accuracy measured once; the test accuracy of each checkpoint that became the
    validation choice on the way is recorded too, only to report when the chosen
    model first reached a target (no choice uses it).
    """
    checks.one_of(config["kind"], "config kind", ("loop", "fit"))
    seed = checks.integer(seed, "seed", minimum=0)
    budget = _Budget(checks.number(budget_seconds, "budget_seconds", 0, low_open=True))
    profile = helpers.resolve_profile("full", allow_standin=False)
    helpers.setup(seed, profile)
    data = helpers.load_dataset("fashion_mnist", profile, validation_size=0.1, seed=0)
    x_train = helpers.recipes.pad_to_32(data.x_train)
    x_val, x_test = helpers.recipes.pad_to_32(data.x_val), helpers.recipes.pad_to_32(data.x_test)
    keras.utils.set_random_seed(seed)
    if config["kind"] == "loop":
        config = notebook05_config(config)
        model = helpers.recipes.LENET5.build(helpers.recipes.LENET5.budget(profile))
    else:
        checks.one_of(config["schedule"], "config schedule", SCHEDULES)
        model = _compiled("lenet5", config["learning_rate"], config.get("policy", "float32"))
    checkpoints, best = [], {"validation": -1.0, "test": None, "weights": None, "seconds": None}

    def checkpoint():
        if budget.now() > budget.seconds:
            return
        validation = _accuracy(model, x_val, data.y_val)
        if validation > best["validation"]:  # a new choice: its test accuracy, for the time to target only
            best.update(validation=validation, test=_accuracy(model, x_test, data.y_test),
                        weights=model.get_weights(), seconds=budget.now())
        checkpoints.append((round(budget.now(), 2), round(validation, 4), round(best["test"], 4)))

    if config["kind"] == "loop":
        trained = _train_notebook05(model, data, x_train, x_val, config, seed, budget, checkpoint)
        images_seen = trained * config["batch"]
    else:
        uint8_train = np.pad(data.x_train, ((0, 0), (2, 2), (2, 2)))[..., np.newaxis]  # as pad_to_32, in uint8
        batches = helpers.image_batches(uint8_train, data.y_train, config["batch"], shuffle=True, seed=seed)
        _fit_within(model, batches, budget, config, checkpoint)
        images_seen = int(model.optimizer.iterations.numpy()) * config["batch"]
    result = {"config": config, "seed": seed, "budget_seconds": budget.seconds,
              "trained_seconds": budget.spent, "images_seen": images_seen,
              "epochs": images_seen / len(data.y_train),
              "checkpoints": checkpoints,  # (training seconds, validation accuracy, test accuracy of the choice so far)
              "chosen_at_seconds": best["seconds"], "validation_accuracy": None, "test_accuracy": None}
    if best["weights"] is not None:  # none when the first chunk or epoch overran the budget
        result["validation_accuracy"], result["test_accuracy"] = best["validation"], best["test"]
    return result


# --------------------------------------------------------------------------- notebooks


def notebook_time(path: str, profile: str, overrides: list[str] | None = None, timeout: int = 900,
                  save_to: str | None = None) -> dict:
    """Wall time of running the notebook at ``path`` top to bottom in a fresh kernel under ``profile``.

    The same as ``tests/refresh_notebook_outputs.py``'s ``run`` (the test
    environment, ``overrides`` run right after the parameters cell). The executed
    notebook is written to ``save_to`` when given (to read what that run printed).
    """
    import nbformat
    from nbclient import NotebookClient

    checks.one_of(profile, "profile", helpers.PROFILE_NAMES)
    os.environ["CNN_PROFILE"] = profile
    if profile != "smoke":
        os.environ.setdefault("CNN_ALLOW_STANDIN", "1")  # CIFAR-10/MNIST cannot be downloaded here
    helpers.runtime.use_test_environment(ROOT, profile)
    path = Path(path)
    notebook = nbformat.read(path, as_version=4)
    if overrides:
        position = next(i for i, c in enumerate(notebook.cells) if "parameters" in c.metadata.get("tags", []))
        notebook.cells.insert(position + 1, nbformat.v4.new_code_cell("\n".join(overrides)))
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    if save_to is not None:
        nbformat.write(notebook, save_to)
    return {"notebook": path.stem, "profile": profile, "seconds": seconds}


# --------------------------------------------------------------------------- entry point

WORKLOADS = {function.__name__: function for function in
             (matmul_peak, fit_throughput, train_on_batch_loop, time_to_accuracy, notebook_time)}


def main(argv: list[str] | None = None) -> int:
    """Run ``argv[0]`` with the JSON keyword arguments ``argv[1]``; print its result as JSON."""
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2 or argv[0] not in WORKLOADS:
        print(f"usage: python -m benchmarks.workloads {{{','.join(WORKLOADS)}}} '<json kwargs>'", file=sys.stderr)
        return 2
    result = WORKLOADS[argv[0]](**json.loads(argv[1]))
    usage = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    result["peak_rss_mb"] = usage / 1024
    print(RESULT_PREFIX + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
