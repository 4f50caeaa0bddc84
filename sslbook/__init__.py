"""Helpers for *Self-supervised learning, executable*: the book's tested code.

Each module holds one concept:

- set-up: :mod:`sslbook.repro` (seeding), :mod:`sslbook.profile` (quick or full
  runs), :mod:`sslbook.checks` (the argument checks the modules share);
- data: :mod:`sslbook.data` (image datasets), :mod:`sslbook.text` (corpora and
  word-embedding benchmarks), :mod:`sslbook.signals` (synthetic 1-D signals),
  :mod:`sslbook.augment` (SimCLR augmentations);
- models and losses: :mod:`sslbook.models`, :mod:`sslbook.word2vec` (SGNS),
  :mod:`sslbook.losses` (InfoNCE, NT-Xent), :mod:`sslbook.simclr`,
  :mod:`sslbook.moco`, :mod:`sslbook.simsiam`, :mod:`sslbook.byol`,
  :mod:`sslbook.momentum` (the moving-average target MoCo and BYOL share),
  :mod:`sslbook.mae` (masked autoencoder), :mod:`sslbook.mlm` (masked
  language modelling), :mod:`sslbook.clip` (CLIP's loss),
  :mod:`sslbook.scarf` (corrupted features for tables),
  :mod:`sslbook.pretrain` (greedy layer-wise pre-training);
- training and measurement: :mod:`sslbook.train`, :mod:`sslbook.optim`,
  :mod:`sslbook.gradients`, :mod:`sslbook.evaluate` (the book's protocol,
  in one import: :mod:`sslbook.stats`, scores over seeds and the rule for
  calling a difference; :mod:`sslbook.probes`, linear probes and kNN;
  :mod:`sslbook.baselines`, supervised baselines and fine-tuning, chosen on
  validation; :mod:`sslbook.geometry`, alignment and uniformity),
  :mod:`sslbook.glue` (a glued mean's spread, a choice's margin and a call's
  interval, for the notebook check),
  :mod:`sslbook.zh` (the Chinese words of the calls),
  :mod:`sslbook.exercises` (the checkers of the book's "implement it
  yourself" exercises);
- several processes: :mod:`sslbook.distributed` (the gather with gradients,
  rank 0 first), :mod:`sslbook.simclr_train` (the command-line trainer,
  ``python -m sslbook.simclr_train``, under ``torchrun``).

Importing the package downloads, prints and seeds nothing.
"""

__version__ = "0.1.0"
