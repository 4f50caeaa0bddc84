"""Helpers for *Self-supervised learning, executable*: the book's tested code.

Each module holds one concept:

- set-up: :mod:`sslbook.repro` (seeding), :mod:`sslbook.profile` (quick or full
  runs), :mod:`sslbook.checks` (the argument checks the modules share);
- data: :mod:`sslbook.data` (image datasets), :mod:`sslbook.text` (corpora and
  word-embedding benchmarks), :mod:`sslbook.signals` (synthetic 1-D signals),
  :mod:`sslbook.augment` (SimCLR augmentations and the two views),
  :mod:`sslbook.image_ops` (the batched image operations they compose);
- models and losses: :mod:`sslbook.models`, :mod:`sslbook.blocks` (the
  heads and Transformer blocks several models share), :mod:`sslbook.shapes`
  (every layer's output shape), :mod:`sslbook.word2vec` (SGNS),
  :mod:`sslbook.losses` (InfoNCE, NT-Xent and the in-batch kernel behind
  them), :mod:`sslbook.simclr`,
  :mod:`sslbook.moco`, :mod:`sslbook.simsiam`, :mod:`sslbook.byol`,
  :mod:`sslbook.momentum` (the moving-average target MoCo and BYOL share),
  :mod:`sslbook.mae` (masked autoencoder), :mod:`sslbook.mlm` (masked
  language modelling) and :mod:`sslbook.mlm_eval` (its scores and the
  unigram baseline), :mod:`sslbook.clip` (CLIP's loss),
  :mod:`sslbook.scarf` (corrupted features for tables),
  :mod:`sslbook.pretrain` (greedy layer-wise pre-training);
- training and measurement: :mod:`sslbook.train`, :mod:`sslbook.optim`,
  :mod:`sslbook.gradients`, :mod:`sslbook.evaluate` (the book's protocol,
  in one import: :mod:`sslbook.stats`, scores over seeds and the rule for
  calling a difference; :mod:`sslbook.selection`, the choice of settings on
  validation; :mod:`sslbook.probes`, label draws and linear probes;
  :mod:`sslbook.knn`, the k-nearest-neighbour classifier;
  :mod:`sslbook.baselines`, supervised baselines and fine-tuning, chosen on
  validation; :mod:`sslbook.geometry`, alignment and uniformity),
  :mod:`sslbook.glue` (a glued mean's spread, a choice's margin and a call's
  interval, for the notebook check),
  :mod:`sslbook.zh` (the Chinese words of the calls),
  :mod:`sslbook.exercises` (the checkers of the book's "implement it
  yourself" exercises, in one import: :mod:`sslbook.exercises_training` and
  :mod:`sslbook.exercises_data`, on :mod:`sslbook.exercise_checks`);
- several processes: :mod:`sslbook.distributed` (the gather with gradients,
  rank 0 first), :mod:`sslbook.simclr_train` (the command-line trainer,
  ``python -m sslbook.simclr_train``, under ``torchrun``), with
  :mod:`sslbook.simclr_cli` (its options) and :mod:`sslbook.simclr_checkpoint`
  (its checkpoints).

Importing the package downloads, prints and seeds nothing.
"""

__version__ = "0.1.0"
