"""How the book measures: probes, baselines, seeds and the rule for calling a
difference.

Every number the book reports comes out of the same protocol (the appendix
page "How this book measures" states it for readers):

1. **Choose on validation, report on test once.** Settings (a probe's
   regularisation, a baseline's learning rate and length, a temperature) are
   chosen by their mean score on the validation split over the seeds;
   :func:`select` makes that choice. The test split is then scored once, for
   the chosen settings only.
2. **Several seeds.** A *seed* repeats a whole experiment: the network's
   initialisation, the order of the batches, the augmentations and the draw
   of the few labelled examples. :func:`over_seeds` runs an experiment once
   per seed; :class:`SeedScores` keeps one score per seed and reports
   mean ± sd (the sample standard deviation).
3. **A stated rule for calling a difference.** :func:`compare` pairs the
   two arms seed by seed (the same seeds, label draws and test images), takes
   the 95 % Student-t interval of the mean per-seed difference, and calls it
   with a margin fixed in advance for the kind of metric (:data:`MARGINS`):
   "A is ahead of B" when the interval excludes 0, "A and B are within ±m"
   when it lies inside ±m, and "inconclusive with n seeds" otherwise. For a
   test set small enough that its own sampling noise matters,
   :func:`paired_bootstrap_se` measures that noise and ``compare`` adds it.

The measurements themselves:

- :func:`linear_probe` freezes the features and fits a logistic regression
  on ``k`` labelled examples per class (SimCLR, Chen et al. 2020, §4);
  :func:`select_probe` chooses its regularisation on validation.
- :func:`knn_predict` is the weighted kNN monitor of Wu et al. (2018).
- :func:`train_classifier` trains a network on the labelled examples (a
  supervised baseline, or fine-tuning); :func:`select_supervised` tunes its
  learning rate, weight decay and number of steps on validation.

The code lives in six modules, each re-exported here so that
``from sslbook.evaluate import ...`` keeps working:

- :mod:`sslbook.stats`: scores over seeds and the rule;
- :mod:`sslbook.selection`: the choice of settings on validation;
- :mod:`sslbook.probes`: label draws, linear probes, accuracy;
- :mod:`sslbook.knn`: the weighted kNN classifier;
- :mod:`sslbook.baselines`: supervised baselines and fine-tuning;
- :mod:`sslbook.geometry`: alignment and uniformity.

Example
-------
>>> import numpy as np
>>> from sslbook.evaluate import SeedScores, compare, linear_probe
>>> rng = np.random.default_rng(0)
>>> y = np.repeat([0, 1], 50)
>>> x = rng.normal(size=(100, 2)) + 3 * y[:, None]
>>> linear_probe(x, y, x, y, labels_per_class=5, seeds=(0, 1)).mean > 0.9
True
>>> a = SeedScores((0.91, 0.88, 0.90), (0, 1, 2))
>>> b = SeedScores((0.85, 0.84, 0.86), (0, 1, 2))
>>> compare(a, b, "SimCLR", "raw pixels").text
'SimCLR is ahead of raw pixels'
"""

from sslbook.baselines import (
    OPTIMIZERS,
    SupervisedGrid,
    select_supervised,
    train_classifier,
)
from sslbook.geometry import alignment_uniformity
from sslbook.knn import knn_accuracy, knn_predict
from sslbook.probes import (
    PROBE_C_GRID,
    Features,
    accuracy,
    linear_probe,
    sample_per_class,
    select_probe,
)
from sslbook.selection import Margin, Selection, choice_margin, select
from sslbook.stats import (
    LEVEL,
    MARGINS,
    Comparison,
    SeedScores,
    compare,
    over_seeds,
    paired_bootstrap_se,
)

__all__ = [
    "LEVEL",
    "MARGINS",
    "PROBE_C_GRID",
    "SeedScores",
    "over_seeds",
    "Comparison",
    "compare",
    "paired_bootstrap_se",
    "select",
    "Margin",
    "choice_margin",
    "Selection",
    "accuracy",
    "sample_per_class",
    "linear_probe",
    "Features",
    "select_probe",
    "knn_predict",
    "knn_accuracy",
    "OPTIMIZERS",
    "train_classifier",
    "SupervisedGrid",
    "select_supervised",
    "alignment_uniformity",
]
