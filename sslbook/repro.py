"""Reproducibility: one call that makes a notebook's numbers repeat.

nbval compares every stored output of every notebook with a fresh run, so the
book's code must give the same numbers each time it runs on the same machine.
:func:`seed_everything` seeds every random number generator the book uses,
asks PyTorch for deterministic kernels and fixes the number of CPU threads
(a float reduction split over a different number of threads can round
differently). :func:`experiment_seeds` gives a notebook its seeds, shifted by
``SSLBOOK_SEED_OFFSET`` so that a reader can re-run any chapter with a fresh,
disjoint set of seeds and see whether its calls hold.

One convention for randomness holds across the package, and a test checks
it (``tests/test_repro.py``): every draw comes from a ``torch.Generator`` or
a NumPy ``Generator`` made from a ``seed``. Objects that draw at every step
(:class:`sslbook.augment.SimCLRAugment`, :class:`sslbook.moco.MoCo`,
:class:`sslbook.mae.MAE`, :class:`sslbook.scarf.FeatureCorruption`, the loss
of :func:`sslbook.word2vec.sgns_loss_fn`) take a ``seed`` and own the
generator made from it; the functions they call at each step
(:func:`sslbook.mae.random_masking`, :func:`sslbook.mlm.mask_tokens`) take
that ``generator``; the one-off draws (label draws, data splits, loaders)
take a ``seed``. The only exception is a model's initial weights, which
PyTorch's layers draw from the global generator: seed it
(:func:`seed_everything` or ``torch.manual_seed``) before building a model.

Example
-------
>>> from sslbook.repro import seed_everything
>>> seed_everything(0)
>>> import torch
>>> a = torch.rand(2)
>>> seed_everything(0)
>>> torch.equal(a, torch.rand(2))
True
"""

from __future__ import annotations

import os
import random

import numpy as np
import torch

from sslbook.checks import check_int

__all__ = [
    "DEFAULT_THREADS",
    "SEED_OFFSET",
    "experiment_seeds",
    "seed_everything",
]

#: Threads used unless told otherwise. The book's stored outputs were made on a
#: 2-core CPU, and CI checks them on one; two threads keep a laptop with more
#: cores on the same arithmetic. ``SSLBOOK_THREADS=1`` (read at import) runs
#: on one thread instead: the same seeds then give other last digits, as on
#: another processor, which is how the notebook check is tried against
#: another machine's numbers (README, "The notebook check").
DEFAULT_THREADS = int(os.environ.get("SSLBOOK_THREADS", "2"))


def _seed_offset(text: str) -> int:
    """``SSLBOOK_SEED_OFFSET`` as an integer in [0, 2**31); a clear error
    otherwise.
    """
    try:
        offset = int(text)
    except ValueError:
        raise ValueError(
            f"SSLBOOK_SEED_OFFSET must be a non-negative integer, got {text!r}"
        ) from None
    if not 0 <= offset < 2**31:
        raise ValueError(
            f"SSLBOOK_SEED_OFFSET must be in [0, 2**31), got {offset}"
        )
    return offset


#: Added to every seed of every experiment the book compares (initialisations,
#: batch orders, augmentations, label draws, the seeds that choose settings);
#: the data splits keep their own fixed seeds, so the test images stay the
#: same. The stored outputs use 0; ``SSLBOOK_SEED_OFFSET=1000 jupyter lab``
#: re-runs the notebooks on seeds 1000, 1001, … (read at import).
SEED_OFFSET = _seed_offset(os.environ.get("SSLBOOK_SEED_OFFSET", "0"))


def experiment_seeds(n: int) -> tuple[int, ...]:
    """A notebook's ``n`` seeds: ``SEED_OFFSET``, ``SEED_OFFSET + 1``, …

    >>> experiment_seeds(3) == tuple(SEED_OFFSET + i for i in range(3))
    True
    """
    return tuple(SEED_OFFSET + i for i in range(check_int("n", n)))


def seed_everything(
    seed: int,
    *,
    threads: int | None = DEFAULT_THREADS,
    deterministic: bool = True,
) -> None:
    """Seed Python, NumPy and PyTorch, and make PyTorch deterministic.

    Args:
        seed: a non-negative integer, used for :mod:`random`, NumPy's global
            generator and PyTorch's generators (CPU and every CUDA device).
        threads: the number of intra-op CPU threads for PyTorch, or ``None`` to
            leave the current setting alone.
        deterministic: if true, call
            ``torch.use_deterministic_algorithms(True)``, so that an operation
            with no deterministic kernel raises instead of silently varying,
            and turn off cuDNN's benchmark autotuner.

    Raises:
        TypeError: if ``seed`` or ``threads`` is not an integer.
        ValueError: if ``seed`` is negative or ``threads`` is less than 1.

    Note:
        ``PYTHONHASHSEED`` (the order of iteration over sets of strings) can
        only be fixed before Python starts, so it is not set here; the book's
        code never depends on that order.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(
            f"seed must be an int, got {type(seed).__name__} {seed!r}"
        )
    if seed < 0 or seed >= 2**32:
        raise ValueError(f"seed must be in [0, 2**32), got {seed}")
    if threads is not None:
        if isinstance(threads, bool) or not isinstance(threads, int):
            raise TypeError(
                "threads must be an int or None, "
                f"got {type(threads).__name__} {threads!r}"
            )
        if threads < 1:
            raise ValueError(f"threads must be at least 1, got {threads}")
        torch.set_num_threads(threads)

    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # seeds the CPU and every CUDA device

    if deterministic:
        # cuBLAS needs this workspace setting to be deterministic (PyTorch's
        # "Reproducibility" notes); it must be set before cuBLAS starts.
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.backends.cudnn.benchmark = False
    torch.use_deterministic_algorithms(deterministic)
