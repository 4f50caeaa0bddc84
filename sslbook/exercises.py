"""Checkers for the book's "implement it yourself" exercises.

Each checker takes the reader's function, calls it on a few random inputs,
and compares it with the package's reference (or, for TF-IDF and PCA, with
gensim's and scikit-learn's). It says what is wrong in plain words: the
shape, the value, or the gradient.

- A function that still raises ``NotImplementedError`` (the exercise's
  template) gets a short "not implemented yet" line; nothing is raised, so a
  notebook with an unsolved exercise runs.
- A wrong function raises :class:`ExerciseFailed`, whose message names the
  first difference found.
- A right one gets one line that says what was checked.

The checkers return nothing, so that a notebook cell that ends with one shows
only its line.

The code lives in three modules, each re-exported here so that
``from sslbook.exercises import ...`` keeps working:

- :mod:`sslbook.exercise_checks`: what every checker shares (calling the
  reader's function; comparing shapes, values and gradients) and
  :class:`ExerciseFailed`;
- :mod:`sslbook.exercises_training`: the checkers of gradient descent, the
  gradient ratio, NT-Xent, the SGNS loss and MoCo's momentum update;
- :mod:`sslbook.exercises_data`: the checkers of TF-IDF, PCA's
  reconstruction, the skip-gram pairs and the paired interval.

Example
-------
>>> from sslbook.exercises import check_nt_xent
>>> from sslbook.losses import nt_xent_loss
>>> check_nt_xent(nt_xent_loss)
Correct: nt_xent_loss matches sslbook.losses.nt_xent_loss on 4 random batches: values and gradients.
"""  # noqa: E501 (a doctest's expected output, one line)

from sslbook.exercise_checks import ExerciseFailed
from sslbook.exercises_data import (
    check_paired_interval,
    check_pca_reconstruction,
    check_skipgram_pairs,
    check_tfidf,
)
from sslbook.exercises_training import (
    check_first_last_ratio,
    check_gradient_descent,
    check_momentum_update,
    check_nt_xent,
    check_sgns_loss,
)

__all__ = [
    "ExerciseFailed",
    "check_first_last_ratio",
    "check_gradient_descent",
    "check_momentum_update",
    "check_nt_xent",
    "check_pca_reconstruction",
    "check_sgns_loss",
    "check_skipgram_pairs",
    "check_tfidf",
    "check_paired_interval",
]
