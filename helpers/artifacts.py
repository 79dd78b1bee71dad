"""Saving a trained model with its history for a later notebook, all or nothing.

Each artifact is one folder, ``<profile artifacts dir>/<stem>/``, holding
``model.keras`` and ``history.json``. The history file says what kind of
history it holds (a Keras ``History`` dict or a :class:`TrainingRecord`) and
where the model came from (recipe, dataset, data source, profile). A save is
written into a temporary folder beside the final one and renamed into place,
so a crash leaves either the old artifact or the new one, never a model
without its history.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import checks
from .runtime import Profile, artifacts_dir
from .training import TrainingRecord

MODEL_FILE, HISTORY_FILE = "model.keras", "history.json"
HISTORY_KINDS = ("keras_history", "training_record")


class ArtifactError(RuntimeError):
    """A saved model or history is missing a part, corrupted, or not what was asked for."""


@dataclass(frozen=True)
class Artifact:
    """A loaded artifact: the model, its history, and what was recorded about it."""

    model: Any
    history: dict | TrainingRecord
    metadata: dict
    folder: Path


def history_kind(history: Any) -> str:
    """``"training_record"`` or ``"keras_history"``: the kind a saved history is stored as."""
    if isinstance(history, TrainingRecord):
        return "training_record"
    values = getattr(history, "history", history)
    if isinstance(values, dict) and "loss" in values:
        return "keras_history"
    raise TypeError("history must be a TrainingRecord, a keras History or its .history dict "
                    f"(with a 'loss' entry), got {checks.describe(history)}.")


def save_artifact(stem: str, profile: Profile, model, history, metadata: dict | None = None) -> Path:
    """Save ``model`` and ``history`` as artifact ``stem`` of ``profile``; return its folder.

    ``metadata``: JSON-able facts to keep beside them (recipe, dataset, source).
    Replaces an earlier artifact of the same name only once the new one is
    completely written.
    """
    import keras

    stem = checks.file_stem(stem, "stem")
    _check_profile(profile)
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {checks.describe(model)}.")
    if metadata is not None and not isinstance(metadata, dict):
        raise TypeError(f"metadata must be a dict of JSON-able facts or None, got "
                        f"{checks.describe(metadata)}.")
    kind = history_kind(history)
    values = history.to_dict() if kind == "training_record" else {
        key: checks.finite(checks.array(series, f"history[{key!r}]", ndim=1, allow_empty=True)
                           .astype(float), f"history[{key!r}]").tolist()
        for key, series in getattr(history, "history", history).items()}
    record = {"kind": kind, "metadata": dict(metadata or {}), "profile": profile.name,
              "saved_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "values": values}
    try:  # fails here, before anything is written, if not JSON-able
        text = json.dumps(record, indent=1, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise TypeError(f"history and metadata must hold plain numbers, strings and lists "
                        f"(finite numbers only), as JSON does: {error}.") from None

    parent = artifacts_dir(profile)
    final = parent / stem
    staging = Path(tempfile.mkdtemp(prefix=f".{stem}-", dir=parent))
    try:
        model.save(staging / MODEL_FILE)
        (staging / HISTORY_FILE).write_text(text)
        if final.exists():
            retired = Path(tempfile.mkdtemp(prefix=f".{stem}-old-", dir=parent))
            os.replace(final, retired / stem)
            os.replace(staging, final)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.replace(staging, final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return final


def saved_stems(profile: Profile, prefix: str = "") -> list[str]:
    """Names of the saved artifacts of ``profile`` starting with ``prefix``, newest first.

    An artifact folder holding either part (``model.keras`` or ``history.json``)
    counts as saved, so that :func:`load_artifact` reports a missing half as
    damage instead of the artifact looking never saved. Saves in progress
    (hidden staging folders) do not count.
    """
    _check_profile(profile)
    if not isinstance(prefix, str):
        raise TypeError(f"prefix must be a string, got {checks.describe(prefix)}.")
    folder = profile.artifacts_dir
    if not folder.is_dir():
        return []
    found = {}
    for candidate in folder.iterdir():
        if candidate.is_dir() and candidate.name.startswith(prefix) and not candidate.name.startswith("."):
            parts = [candidate / name for name in (MODEL_FILE, HISTORY_FILE) if (candidate / name).exists()]
            if parts:
                found[candidate.name] = max(part.stat().st_mtime for part in parts)
    return sorted(found, key=found.get, reverse=True)


def load_artifact(stem: str, profile: Profile, expect_kind: str | None = None) -> Artifact:
    """Load artifact ``stem`` of ``profile``.

    Raises :class:`ArtifactError` naming the file when a part is missing,
    unreadable or corrupted, or when the history is not of ``expect_kind``.
    Models load with Keras's ``safe_mode`` on (no arbitrary code).
    """
    import keras

    stem = checks.file_stem(stem, "stem")
    _check_profile(profile)
    if expect_kind is not None:
        checks.one_of(expect_kind, "expect_kind", HISTORY_KINDS)
    folder = profile.artifacts_dir / stem
    advice = (f"Re-run the notebook that saves it under the '{profile.name}' profile, or delete "
              f"{folder} to have it trained again.")
    model_path, history_path = folder / MODEL_FILE, folder / HISTORY_FILE
    for path in (model_path, history_path):
        if not path.exists():
            raise ArtifactError(f"{path} is missing. {advice}")
    try:
        record = json.loads(history_path.read_text())
        if not isinstance(record, dict):
            raise TypeError(f"a JSON object was expected, not {type(record).__name__}")
        kind, values = record["kind"], record["values"]
        if kind not in HISTORY_KINDS:
            raise ValueError(f"unknown history kind {kind!r}")
        history = (TrainingRecord.from_dict(values) if kind == "training_record"
                   else _keras_history(values))
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as error:  # JSONDecodeError: ValueError
        raise ArtifactError(f"{history_path} is not a readable history ({type(error).__name__}: "
                            f"{error}). {advice}") from None
    if expect_kind is not None and kind != expect_kind:
        raise ArtifactError(f"{history_path} holds a {kind}, not the {expect_kind} expected. {advice}")
    try:
        model = keras.models.load_model(model_path, safe_mode=True)
    except Exception as error:  # noqa: BLE001 - h5py/zip/JSON errors all mean the same to a reader
        raise ArtifactError(f"{model_path} could not be loaded ({type(error).__name__}: "
                            f"{error}). {advice}") from None
    if not isinstance(model, keras.Model):
        raise ArtifactError(f"{model_path} holds a {type(model).__name__}, not a keras.Model. {advice}")
    metadata = record.get("metadata", {})
    return Artifact(model, history, dict(metadata) if isinstance(metadata, dict) else {}, folder)


def _keras_history(values) -> dict[str, list[float]]:
    """A Keras ``History.history`` dict read from JSON: metric names to lists of numbers."""
    if not isinstance(values, dict) or "loss" not in values:
        raise TypeError("a Keras history must be a dict of metric lists with a 'loss' entry")
    for key, series in values.items():
        if not isinstance(series, list) or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in series):
            raise TypeError(f"the history entry {key!r} must be a list of numbers")
    return {key: [float(v) for v in series] for key, series in values.items()}


def _check_profile(profile) -> None:
    if not isinstance(profile, Profile):
        raise TypeError(f"profile must be a helpers.Profile (from helpers.resolve_profile), got "
                        f"{checks.describe(profile)}.")
