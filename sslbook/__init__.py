"""Helpers for *Self-supervised learning, executable*: the book's tested code.

Each module holds one concept:

- set-up: :mod:`sslbook.repro` (seeding), :mod:`sslbook.profile` (quick or full runs);
- data: :mod:`sslbook.data` (image datasets), :mod:`sslbook.text` (corpora and
  word-embedding benchmarks), :mod:`sslbook.signals` (synthetic 1-D signals),
  :mod:`sslbook.augment` (SimCLR augmentations);
- models and losses: :mod:`sslbook.models`, :mod:`sslbook.word2vec` (SGNS),
  :mod:`sslbook.losses` (InfoNCE, NT-Xent), :mod:`sslbook.simclr`,
  :mod:`sslbook.moco`, :mod:`sslbook.simsiam`, :mod:`sslbook.pretrain`
  (greedy layer-wise pre-training);
- training and measurement: :mod:`sslbook.train`, :mod:`sslbook.optim`,
  :mod:`sslbook.gradients`, :mod:`sslbook.evaluate`;
- several processes: :mod:`sslbook.distributed` (the gather with gradients,
  and its check), :mod:`sslbook.simclr_train` (the command-line trainer,
  ``python -m sslbook.simclr_train``, under ``torchrun``).

Importing the package downloads, prints and seeds nothing.
"""

__version__ = "0.1.0"
