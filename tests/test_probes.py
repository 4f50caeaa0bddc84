"""sslbook.probes: label draws, linear probes and accuracy."""

import warnings

import numpy as np
import pytest
import torch

from sslbook.probes import (
    _fit_probe,
    accuracy,
    linear_probe,
    sample_per_class,
    select_probe,
)
from sslbook.selection import select


def test_sample_per_class_draws_k_of_each_class_reproducibly():
    labels = np.repeat(np.arange(4), 10)
    idx = sample_per_class(labels, 3, seed=0)
    assert np.bincount(labels[idx]).tolist() == [3, 3, 3, 3]
    assert len(set(idx.tolist())) == 12
    assert np.array_equal(
        idx, sample_per_class(torch.from_numpy(labels), 3, seed=0)
    )
    assert not np.array_equal(idx, sample_per_class(labels, 3, seed=1))


def test_sample_per_class_rejects_bad_k():
    labels = np.repeat(np.arange(2), 5)
    with pytest.raises(
        ValueError, match="class 0 has 5 examples, fewer than k=6"
    ):
        sample_per_class(labels, 6, seed=0)
    with pytest.raises(ValueError, match="k must be an int >= 1"):
        sample_per_class(labels, 0, seed=0)


def test_probe_separates_separable_classes_and_not_noise():
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(3), 100)
    centres = np.array([[0, 0], [6, 0], [0, 6]])
    separable = centres[y] + rng.normal(size=(300, 2))
    noise = rng.normal(size=(300, 2))
    good = linear_probe(
        separable, y, separable, y, labels_per_class=5, seeds=(0, 1)
    )
    chance = linear_probe(noise, y, noise, y, labels_per_class=5, seeds=(0, 1))
    assert good.mean > 0.95
    assert chance.mean < 0.55  # three classes: chance is 1/3
    assert good.seeds == (0, 1) and len(good.values) == 2


def test_probe_standardises_with_the_labelled_subset_only():
    """A huge offset on the unlabelled rows must not change the probe: its
    scaler never sees them.
    """
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(2), 50)
    x = rng.normal(size=(100, 3)) + 2.0 * y[:, None]
    idx = sample_per_class(y, 5, seed=0)
    shifted = x.copy()
    unlabelled = np.setdiff1d(np.arange(100), idx)
    shifted[unlabelled] += 1e3
    assert (
        linear_probe(
            x, y, x[:40], y[:40], labels_per_class=5, seeds=(0,)
        ).values
        == linear_probe(
            shifted, y, x[:40], y[:40], labels_per_class=5, seeds=(0,)
        ).values
    )


def test_probe_regularisation_is_used():
    rng = np.random.default_rng(1)
    y = np.repeat(np.arange(2), 60)
    x = rng.normal(size=(120, 50)) + 0.3 * y[:, None]
    strong = linear_probe(x, y, x, y, labels_per_class=5, seeds=(0,), c=1e-6)
    weak = linear_probe(x, y, x, y, labels_per_class=5, seeds=(0,), c=1e3)
    assert strong.values != weak.values


def test_probe_converges_on_float32_features_with_a_strong_penalty():
    # One digit per class and C = 0.001: in float32, newton-cg's line search
    # stopped on rounding errors (LineSearchWarning, "Line Search failed").
    from sslbook.data import load_images

    data = load_images("mnist5k", seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        linear_probe(
            data.x_train,
            data.y_train,
            data.x_val,
            data.y_val,
            labels_per_class=1,
            seeds=(0,),
            c=0.001,
        )


def test_probe_flattens_images_and_accepts_tensors():
    x = torch.rand(40, 1, 4, 4)
    y = torch.arange(40) % 2
    x[y == 1] += 1.0
    assert linear_probe(x, y, x, y, labels_per_class=3, seeds=(0,)).mean == 1.0


def test_probe_rejects_mismatched_lengths_and_empty_seeds():
    x, y = np.zeros((10, 2)), np.arange(10) % 2
    with pytest.raises(ValueError, match="x_train 10 vs y_train 9"):
        linear_probe(x, y[:9], x, y, labels_per_class=1)
    with pytest.raises(ValueError, match="seeds must name at least one draw"):
        linear_probe(x, y, x, y, labels_per_class=1, seeds=())
    with pytest.raises(
        TypeError, match="x_train must be a numpy array or torch tensor"
    ):
        linear_probe(x.tolist(), y, x, y, labels_per_class=1)


def probe_problem(seed=0, signal=1.5):
    """Two classes in 40 dimensions, signal in one of them: regularisation
    matters.
    """
    rng = np.random.default_rng(seed)

    def split(n):
        y = np.arange(n) % 2
        return rng.normal(size=(n, 40)) + signal * np.eye(40)[0] * y[
            :, None
        ], y

    return split(200), split(200), split(200)


def test_select_probe_chooses_on_validation_and_reads_test_for_the_choice_only():  # noqa: E501
    (x_tr, y_tr), (x_val, y_val), (x_te, y_te) = probe_problem()
    features = {s: (x_tr, x_val, x_te) for s in (0, 1, 2)}
    result = select_probe(
        features,
        y_tr,
        y_val,
        y_te,
        labels_per_class=5,
        grid=(1e-3, 1.0, 100.0),
    )
    assert set(result.validation) == {1e-3, 1.0, 100.0}
    assert result.choice == select(result.validation)
    for (
        c,
        scores,
    ) in (
        result.validation.items()
    ):  # each validation score is a plain probe with that c
        assert (
            scores.values
            == linear_probe(
                x_tr,
                y_tr,
                x_val,
                y_val,
                labels_per_class=5,
                seeds=(0, 1, 2),
                c=c,
            ).values
        )
    assert (
        result.test.values
        == linear_probe(
            x_tr,
            y_tr,
            x_te,
            y_te,
            labels_per_class=5,
            seeds=(0, 1, 2),
            c=result.choice,
        ).values
    )
    # Scrambling the test labels changes the test score, never the choice.
    scrambled = select_probe(
        features,
        y_tr,
        y_val,
        1 - y_te,
        labels_per_class=5,
        grid=(1e-3, 1.0, 100.0),
    )
    assert (
        scrambled.choice == result.choice
        and scrambled.test.values != result.test.values
    )
    assert (
        "✓" in result.validation_table("C").loc[str(result.choice), "chosen"]
    )


def test_select_probe_reports_the_chosen_probes_accuracy_on_their_own_labelled_examples():  # noqa: E501
    (x_tr, y_tr), (x_val, y_val), (x_te, y_te) = probe_problem()
    features = {s: (x_tr, x_val, x_te) for s in (0, 1)}
    result = select_probe(
        features, y_tr, y_val, y_te, labels_per_class=5, grid=(1e-3, 100.0)
    )
    expected = []
    for seed in (0, 1):
        idx = sample_per_class(y_tr, 5, seed)
        probe = _fit_probe(x_tr[idx], y_tr[idx], result.choice, 2000)
        expected.append(float(probe.score(x_tr[idx], y_tr[idx])))
    assert result.train.values == tuple(expected) and result.train.seeds == (
        0,
        1,
    )
    # with 40 dimensions and 10 examples a weakly regularised probe fits its
    # labels exactly
    loose = select_probe(
        features, y_tr, y_val, y_te, labels_per_class=5, grid=(100.0,)
    )
    assert loose.train.values == (1.0, 1.0)


def test_select_probe_uses_each_seeds_own_features():
    (x_tr, y_tr), (x_val, y_val), (x_te, y_te) = probe_problem(signal=4.0)
    noise = np.random.default_rng(5).normal(size=x_tr.shape)
    features = {0: (x_tr, x_val, x_te), 1: (noise, x_val, x_te)}
    result = select_probe(
        features, y_tr, y_val, y_te, labels_per_class=10, grid=(1.0,)
    )
    good, bad = result.validation[1.0].values
    assert good > bad + 0.1
    with pytest.raises(ValueError, match="rows for"):
        select_probe(
            {0: (x_tr[:10], x_val, x_te)},
            y_tr,
            y_val,
            y_te,
            labels_per_class=1,
        )


def test_accuracy_counts_correct_argmax_across_batches():
    class Fixed(
        torch.nn.Module
    ):  # predicts class 1 for positive first features, else class 0
        def forward(self, x):
            modes.append((self.training, torch.is_grad_enabled()))
            return torch.stack([-x[:, 0], x[:, 0]], dim=1)

    modes = []
    x = torch.tensor([[1.0], [-1.0], [2.0], [-3.0], [0.5]])
    y = torch.tensor([1, 0, 0, 0, 1])
    model = Fixed().train()
    assert accuracy(model, x, y, batch_size=2) == pytest.approx(4 / 5)
    assert (
        modes == [(False, False)] * 3
    )  # three batches, in eval mode, without a graph
    assert model.training  # the mode is restored
    with pytest.raises(ValueError, match="equal length, got 5 and 4"):
        accuracy(model, x, y[:4])


def test_select_probe_scores_each_seed_on_its_own_test_features():
    (x_tr, y_tr), (x_val, y_val), (x_te, y_te) = probe_problem(signal=4.0)
    noise_te = np.random.default_rng(6).normal(size=x_te.shape)
    features = {0: (x_tr, x_val, x_te), 1: (x_tr, x_val, noise_te)}
    result = select_probe(
        features, y_tr, y_val, y_te, labels_per_class=10, grid=(1.0,)
    )
    for seed, test_features in ((0, x_te), (1, noise_te)):
        expected = linear_probe(
            x_tr,
            y_tr,
            test_features,
            y_te,
            labels_per_class=10,
            seeds=(seed,),
            c=1.0,
        ).values[0]
        assert result.test.values[seed] == expected
