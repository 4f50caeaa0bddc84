"""The checkpoints of :mod:`sslbook.simclr_train`: what they hold, how they
are read, and when a run may resume from one.

A checkpoint (:data:`CHECKPOINT` in the run's folder) holds the model, the
optimiser, the epoch, the configuration and the metrics so far; it is written
to a temporary file and renamed (:func:`save_atomically`), so an interrupted
run never leaves half a file. :func:`load_checkpoint` reads one with
``weights_only=True``; :func:`check_resumable` refuses to resume with other
settings (:data:`RESUME_MUST_MATCH`) or with no epochs left.

Example
-------
>>> import tempfile
>>> from pathlib import Path
>>> from sslbook.simclr_checkpoint import CheckpointError, load_checkpoint
>>> try:
...     load_checkpoint(Path(tempfile.mkdtemp()) / CHECKPOINT)
... except CheckpointError as error:
...     print(str(error).split(";")[0][-13:])
checkpoint.pt
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch

__all__ = [
    "CHECKPOINT",
    "METRICS",
    "RESUME_MUST_MATCH",
    "CheckpointError",
    "load_checkpoint",
    "check_resumable",
    "save_atomically",
]

CHECKPOINT = "checkpoint.pt"
METRICS = "metrics.json"
#: Settings that a resumed run must share with the checkpoint. The others may
#: change between runs: epochs, monitoring, device, and the number of processes
#: (the global batch stays the same; the random draws then differ from an
#: uninterrupted run's).
RESUME_MUST_MATCH = (
    "dataset",
    "batch_size",
    "lr",
    "temperature",
    "seed",
    "widths",
    "feature_dim",
    "projection_dim",
    "subset",
)


class CheckpointError(RuntimeError):
    """A checkpoint is missing, unreadable, or from a different
    configuration.
    """


def load_checkpoint(path: Path) -> dict:
    """Read a checkpoint written by this trainer, with ``weights_only=True``.

    Raises:
        CheckpointError: when the file is missing, cannot be read (truncated,
            corrupt, or not a PyTorch file) or lacks the trainer's entries.
    """
    if not path.is_file():
        raise CheckpointError(
            f"no checkpoint at {path}; "
            "run without --resume to start a new run there"
        )
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:
        # torch raises RuntimeError, UnpicklingError, EOFError... by cause
        raise CheckpointError(
            f"cannot read checkpoint {path} "
            f"({type(error).__name__}: {error}). It may be truncated or not "
            "written by sslbook.simclr_train; delete it to start over, "
            "or choose another --out"
        ) from None
    missing = {"model", "optimizer", "epoch", "config", "metrics"} - set(
        checkpoint if isinstance(checkpoint, dict) else ()
    )
    if missing:
        raise CheckpointError(
            f"{path} is not an sslbook.simclr_train checkpoint: "
            f"it lacks {sorted(missing)}"
        )
    return checkpoint


def check_resumable(checkpoint: dict, config: dict, path: Path) -> None:
    differ = {
        k: (checkpoint["config"].get(k), config[k])
        for k in RESUME_MUST_MATCH
        if checkpoint["config"].get(k) != config[k]
    }
    if differ:
        detail = ", ".join(
            f"{k}: checkpoint {old!r}, now {new!r}"
            for k, (old, new) in differ.items()
        )
        raise CheckpointError(
            f"{path} was written by a run with other settings ({detail}); "
            "use the same settings or another --out"
        )
    if checkpoint["epoch"] >= config["epochs"]:
        raise CheckpointError(
            f"{path} has already trained {checkpoint['epoch']} epochs; "
            "ask for more with --epochs"
        )


def save_atomically(obj: dict, path: Path) -> None:
    """Write ``obj`` as JSON (``.json``) or with ``torch.save``, to a
    temporary file renamed at the end.
    """
    tmp = path.with_name(path.name + ".tmp")
    if path.suffix == ".json":
        tmp.write_text(json.dumps(obj, indent=1), encoding="utf-8")
    else:
        torch.save(obj, tmp)
    os.replace(tmp, path)
