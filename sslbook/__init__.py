"""Helpers for *Self-supervised learning, executable*: the book's tested code.

Each module holds one concept: :mod:`sslbook.repro` (seeding),
:mod:`sslbook.profile` (quick or full runs), :mod:`sslbook.data` (image
datasets), :mod:`sslbook.models` (networks) and :mod:`sslbook.gradients`
(gradient diagnostics). Importing the package downloads, prints and seeds
nothing.
"""

__version__ = "0.1.0"
