"""Run profiles: the same notebook, quick on a laptop or full on a GPU.

The environment variable ``SSLBOOK_PROFILE`` picks one:

``quick`` (the default)
    CPU, data that ships inside installed packages (``mnist5k``), short
    fixed training budgets. Every notebook runs in about two minutes, and
    these are the outputs stored in the book.
``full``
    CIFAR-10 downloaded through torchvision, a GPU when there is one, and
    paper-like numbers of epochs. Needs network access the first time.

Example
-------
>>> from sslbook.profile import get_profile
>>> profile = get_profile("quick")
>>> profile.dataset
'mnist5k'
>>> profile.pick(quick=200, full=20_000)
200
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TypeVar

import torch

__all__ = ["ENV_VAR", "PROFILES", "Profile", "get_profile"]

#: The environment variable that selects the profile.
ENV_VAR = "SSLBOOK_PROFILE"
#: The known profiles, the default first.
PROFILES = ("quick", "full")

T = TypeVar("T")


@dataclass(frozen=True)
class Profile:
    """What a notebook runs on.

    Attributes:
        name: ``"quick"`` or ``"full"``.
        dataset: the image dataset name for :func:`sslbook.data.load_images`.
        device: ``"cpu"`` or ``"cuda"``.
        description: one line for readers.
    """

    name: str
    dataset: str
    device: str
    description: str

    @property
    def is_quick(self) -> bool:
        """True for the quick profile."""
        return self.name == "quick"

    def pick(self, *, quick: T, full: T) -> T:
        """Return ``quick`` under the quick profile and ``full`` otherwise."""
        return quick if self.is_quick else full

    def __str__(self) -> str:
        return (
            f"Profile: {self.name} ({self.description}; "
            f"dataset={self.dataset}, device={self.device})"
        )


def get_profile(name: str | None = None) -> Profile:
    """Return the profile called ``name``, or the one ``SSLBOOK_PROFILE``
    names.

    Args:
        name: ``"quick"`` or ``"full"`` (case and surrounding spaces ignored).
            ``None`` reads ``SSLBOOK_PROFILE``; unset or empty means
            ``"quick"``.

    Raises:
        ValueError: for any other name; the message lists the known ones.
    """
    source = "argument name"
    if name is None:
        name = os.environ.get(ENV_VAR, "")
        source = f"environment variable {ENV_VAR}"
    key = name.strip().lower() or PROFILES[0]
    if key == "quick":
        return Profile(
            "quick", "mnist5k", "cpu", "CPU, embedded data, minutes"
        )
    if key == "full":
        device = "cuda" if torch.cuda.is_available() else "cpu"
        return Profile(
            "full",
            "cifar10",
            device,
            "CIFAR-10 through torchvision, paper-like epochs",
        )
    raise ValueError(
        f"unknown profile {name!r} in {source}; "
        f"known profiles: {', '.join(PROFILES)}"
    )
