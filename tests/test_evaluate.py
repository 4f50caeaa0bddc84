import warnings

import numpy as np
import pytest
import torch
from scipy.stats import ttest_rel

from sslbook.evaluate import (
    MARGINS,
    Comparison,
    SeedScores,
    SupervisedGrid,
    _fit_probe,
    accuracy,
    alignment_uniformity,
    compare,
    knn_accuracy,
    knn_predict,
    linear_probe,
    over_seeds,
    sample_per_class,
    select,
    select_probe,
    select_supervised,
    train_classifier,
)

# --- seeds, summaries, verdicts --------------------------------------------


def test_seed_scores_report_the_sample_sd():
    scores = SeedScores((0.80, 0.84, 0.88), (0, 1, 2))
    assert scores.mean == pytest.approx(0.84)
    assert scores.sd == pytest.approx(0.04)  # ddof = 1: sqrt((0.04² + 0 + 0.04²) / 2)
    assert scores.n == 3 and str(scores) == "0.840 ± 0.040"
    assert SeedScores((0.5,), (7,)).sd == 0.0
    with pytest.raises(ValueError, match="one value per seed"):
        SeedScores((0.1, 0.2), (0,))


def test_over_seeds_calls_once_per_seed_and_keeps_names():
    calls = []
    single = over_seeds(lambda s: calls.append(s) or s / 10, (3, 1, 2))
    assert calls == [3, 1, 2] and single.values == (0.3, 0.1, 0.2) and single.seeds == (3, 1, 2)
    named = over_seeds(lambda s: {"a": s, "b": 2 * s}, (0, 1))
    assert named["b"].values == (0.0, 2.0) and named["a"].seeds == (0, 1)
    with pytest.raises(ValueError, match="distinct"):
        over_seeds(lambda s: 0.0, (1, 1))
    with pytest.raises(ValueError, match="same names"):
        over_seeds(lambda s: {"a": 1} if s == 0 else {"b": 1}, (0, 1))


def test_compare_takes_the_paired_t_interval_and_makes_four_calls():
    a = SeedScores((0.90, 0.91, 0.93), (0, 1, 2))
    b = SeedScores((0.70, 0.72, 0.71), (0, 1, 2))
    call = compare(a, b, "SimCLR", "raw pixels")
    expected = ttest_rel(a.values, b.values).confidence_interval(0.95)
    assert (call.low, call.high) == pytest.approx((expected.low, expected.high))
    assert call.difference == pytest.approx(0.2033, abs=1e-4) and call.n == 3
    assert call.text == "SimCLR is ahead of raw pixels" and call.call == "a"
    assert compare(b, a, "raw pixels", "SimCLR").text == "SimCLR is ahead of raw pixels"
    noisy = SeedScores((0.85, 0.95, 0.75), (0, 1, 2))
    close = SeedScores((0.84, 0.86, 0.85), (0, 1, 2))
    unclear = compare(noisy, close, "MoCo", "SimCLR")
    assert unclear.low < -0.02 and unclear.high > 0.02
    assert unclear.text == "MoCo against SimCLR is inconclusive with 3 seeds" and unclear.call == "inconclusive"
    near = compare(SeedScores((0.845, 0.855, 0.852), (0, 1, 2)), close, "MoCo", "SimCLR")
    assert -0.02 <= near.low < 0 < near.high <= 0.02
    assert near.text == "MoCo and SimCLR are within ±0.02" and near.call == "within"
    assert "95 % interval" in str(near) and "3 seeds" in str(near)


def test_compare_pairs_the_seeds_and_uses_the_metrics_margin():
    a, b = SeedScores((0.80, 0.83, 0.81), (0, 1, 2)), SeedScores((0.79, 0.84, 0.79), (0, 1, 2))
    with pytest.raises(ValueError, match="pairs the arms"):
        compare(a, SeedScores(b.values, (3, 4, 5)), "a", "b")
    with pytest.raises(ValueError, match="pairs the arms"):
        compare(a, SeedScores(b.values[::-1], (2, 1, 0)), "a", "b")
    with pytest.raises(ValueError, match="unknown metric"):
        compare(a, b, "a", "b", metric="points")
    assert compare(a, b, "a", "b").call == "inconclusive"  # accuracy: ±0.02
    assert compare(a, b, "a", "b", metric="spearman").text == "a and b are within ±0.05"
    assert compare(a, b, "a", "b", metric="mse").margin == MARGINS["mse"] == 0.001


def test_compare_direction_for_errors_and_deterministic_methods():
    error_a = SeedScores((0.010, 0.011, 0.012), (0, 1, 2))
    error_b = SeedScores((0.030, 0.030, 0.030), (0, 1, 2))
    kind = {"metric": "mse"}
    assert compare(error_a, error_b, "autoencoder", "PCA", higher_is_better=False, **kind).text == "autoencoder is ahead of PCA"
    assert compare(error_a, error_b, "autoencoder", "PCA", **kind).text == "PCA is ahead of autoencoder"
    same = SeedScores((0.5, 0.5, 0.5), (0, 1, 2))
    assert compare(same, same, "x", "y").text == "x and y are within ±0.02"
    assert compare(SeedScores((0.6, 0.6, 0.6), (0, 1, 2)), same, "x", "y").call == "a"  # no noise on either side
    with pytest.raises(ValueError, match="at least 2 seeds"):
        compare(SeedScores((0.5,), (0,)), SeedScores((0.5,), (0,)), "x", "y")
    with pytest.raises(ValueError, match="level"):
        compare(same, same, "x", "y", level=1.0)


def test_a_higher_level_widens_the_interval_and_can_make_a_call_inconclusive():
    a, b = SeedScores((0.80, 0.83, 0.82), (0, 1, 2)), SeedScores((0.76, 0.78, 0.79), (0, 1, 2))
    call = compare(a, b, "a", "b")
    assert call.call == "a" and isinstance(call, Comparison)
    strict = compare(a, b, "a", "b", level=0.999)
    assert strict.low < call.low and strict.high > call.high and strict.call == "inconclusive"


def test_repeat_probability_is_high_for_a_clear_call_and_low_at_the_edge():
    clear = compare(SeedScores((0.90, 0.91, 0.93), (0, 1, 2)), SeedScores((0.70, 0.72, 0.71), (0, 1, 2)), "a", "b")
    assert clear.repeat_probability() > 0.95
    edge = compare(SeedScores((0.80, 0.83, 0.81), (0, 1, 2)), SeedScores((0.76, 0.78, 0.79), (0, 1, 2)), "a", "b")
    assert 0.3 < edge.repeat_probability() < 0.8
    assert edge.repeat_probability(seed=1) != edge.repeat_probability(seed=0)
    same = SeedScores((0.5, 0.5, 0.5), (0, 1, 2))
    assert compare(same, same, "x", "y").repeat_probability() == 1.0


def test_select_takes_the_best_mean():
    val = {0.1: SeedScores((0.5, 0.7), (0, 1)), 1.0: SeedScores((0.65, 0.66), (0, 1)), 10.0: SeedScores((0.4, 0.4), (0, 1))}
    assert select(val) == 1.0
    assert select(val, higher_is_better=False) == 10.0
    with pytest.raises(ValueError, match="at least one candidate"):
        select({})


# --- labelled subsets and probes ---------------------------------------------


def test_sample_per_class_draws_k_of_each_class_reproducibly():
    labels = np.repeat(np.arange(4), 10)
    idx = sample_per_class(labels, 3, seed=0)
    assert np.bincount(labels[idx]).tolist() == [3, 3, 3, 3]
    assert len(set(idx.tolist())) == 12
    assert np.array_equal(idx, sample_per_class(torch.from_numpy(labels), 3, seed=0))
    assert not np.array_equal(idx, sample_per_class(labels, 3, seed=1))


def test_sample_per_class_rejects_bad_k():
    labels = np.repeat(np.arange(2), 5)
    with pytest.raises(ValueError, match="class 0 has 5 examples, fewer than k=6"):
        sample_per_class(labels, 6, seed=0)
    with pytest.raises(ValueError, match="k must be an int >= 1"):
        sample_per_class(labels, 0, seed=0)


def test_probe_separates_separable_classes_and_not_noise():
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(3), 100)
    centres = np.array([[0, 0], [6, 0], [0, 6]])
    separable = centres[y] + rng.normal(size=(300, 2))
    noise = rng.normal(size=(300, 2))
    good = linear_probe(separable, y, separable, y, labels_per_class=5, seeds=(0, 1))
    chance = linear_probe(noise, y, noise, y, labels_per_class=5, seeds=(0, 1))
    assert good.mean > 0.95
    assert chance.mean < 0.55  # three classes: chance is 1/3
    assert good.seeds == (0, 1) and len(good.values) == 2


def test_probe_standardises_with_the_labelled_subset_only():
    """A huge offset on the unlabelled rows must not change the probe: its scaler never sees them."""
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(2), 50)
    x = rng.normal(size=(100, 3)) + 2.0 * y[:, None]
    idx = sample_per_class(y, 5, seed=0)
    shifted = x.copy()
    unlabelled = np.setdiff1d(np.arange(100), idx)
    shifted[unlabelled] += 1e3
    assert linear_probe(x, y, x[:40], y[:40], labels_per_class=5, seeds=(0,)).values == \
        linear_probe(shifted, y, x[:40], y[:40], labels_per_class=5, seeds=(0,)).values


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
        linear_probe(data.x_train, data.y_train, data.x_val, data.y_val, labels_per_class=1, seeds=(0,), c=0.001)


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
    with pytest.raises(TypeError, match="x_train must be a numpy array or torch tensor"):
        linear_probe(x.tolist(), y, x, y, labels_per_class=1)


def probe_problem(seed=0, signal=1.5):
    """Two classes in 40 dimensions, signal in one of them: regularisation matters."""
    rng = np.random.default_rng(seed)

    def split(n):
        y = np.arange(n) % 2
        return rng.normal(size=(n, 40)) + signal * np.eye(40)[0] * y[:, None], y

    return split(200), split(200), split(200)


def test_select_probe_chooses_on_validation_and_reads_test_for_the_choice_only():
    (x_tr, y_tr), (x_val, y_val), (x_te, y_te) = probe_problem()
    features = {s: (x_tr, x_val, x_te) for s in (0, 1, 2)}
    result = select_probe(features, y_tr, y_val, y_te, labels_per_class=5, grid=(1e-3, 1.0, 100.0))
    assert set(result.validation) == {1e-3, 1.0, 100.0}
    assert result.choice == select(result.validation)
    for c, scores in result.validation.items():  # each validation score is a plain probe with that c
        assert scores.values == linear_probe(x_tr, y_tr, x_val, y_val, labels_per_class=5, seeds=(0, 1, 2), c=c).values
    assert result.test.values == linear_probe(x_tr, y_tr, x_te, y_te, labels_per_class=5, seeds=(0, 1, 2), c=result.choice).values
    # Scrambling the test labels changes the test score, never the choice.
    scrambled = select_probe(features, y_tr, y_val, 1 - y_te, labels_per_class=5, grid=(1e-3, 1.0, 100.0))
    assert scrambled.choice == result.choice and scrambled.test.values != result.test.values
    assert "✓" in result.validation_table("C").loc[str(result.choice), "chosen"]


def test_select_probe_reports_the_chosen_probes_accuracy_on_their_own_labelled_examples():
    (x_tr, y_tr), (x_val, y_val), (x_te, y_te) = probe_problem()
    features = {s: (x_tr, x_val, x_te) for s in (0, 1)}
    result = select_probe(features, y_tr, y_val, y_te, labels_per_class=5, grid=(1e-3, 100.0))
    expected = []
    for seed in (0, 1):
        idx = sample_per_class(y_tr, 5, seed)
        probe = _fit_probe(x_tr[idx], y_tr[idx], result.choice, 2000)
        expected.append(float(probe.score(x_tr[idx], y_tr[idx])))
    assert result.train.values == tuple(expected) and result.train.seeds == (0, 1)
    # with 40 dimensions and 10 examples a weakly regularised probe fits its labels exactly
    loose = select_probe(features, y_tr, y_val, y_te, labels_per_class=5, grid=(100.0,))
    assert loose.train.values == (1.0, 1.0)


def test_select_probe_uses_each_seeds_own_features():
    (x_tr, y_tr), (x_val, y_val), (x_te, y_te) = probe_problem(signal=4.0)
    noise = np.random.default_rng(5).normal(size=x_tr.shape)
    features = {0: (x_tr, x_val, x_te), 1: (noise, x_val, x_te)}
    result = select_probe(features, y_tr, y_val, y_te, labels_per_class=10, grid=(1.0,))
    good, bad = result.validation[1.0].values
    assert good > bad + 0.1
    with pytest.raises(ValueError, match="rows for"):
        select_probe({0: (x_tr[:10], x_val, x_te)}, y_tr, y_val, y_te, labels_per_class=1)


# --- kNN ---------------------------------------------------------------------


def test_knn_is_right_on_a_planted_problem():
    torch.manual_seed(0)
    directions = torch.eye(3)
    train_labels = torch.arange(300) % 3
    train = directions[train_labels] + 0.1 * torch.randn(300, 3)
    test_labels = torch.tensor([2, 0, 1, 1])
    test = directions[test_labels] * 5.0  # cosine ignores the scale
    assert knn_predict(train, train_labels, test, k=200, temperature=0.1).tolist() == [2, 0, 1, 1]
    assert knn_accuracy(train, train_labels, test, test_labels) == 1.0


def test_knn_weights_close_neighbours_more():
    # two votes for class 0 far away, one for class 1 very close: with a small τ, class 1 wins
    train = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    labels = torch.tensor([1, 0, 0])
    query = torch.tensor([[1.0, 0.2]])
    assert knn_predict(train, labels, query, k=3, temperature=0.1).item() == 1
    assert knn_predict(train, labels, query, k=3, temperature=100.0).item() == 0  # nearly unweighted: majority


def test_knn_votes_equal_an_explicit_loop():
    torch.manual_seed(1)
    train, labels, test = torch.randn(50, 4), torch.randint(0, 5, (50,)), torch.randn(20, 4)
    bank = torch.nn.functional.normalize(train, dim=1)
    expected = []
    for q in torch.nn.functional.normalize(test, dim=1):
        sims, idx = (bank @ q).topk(7)
        votes = torch.zeros(5)
        for s, i in zip(sims, idx):
            votes[labels[i]] += torch.exp(s / 0.5)
        expected.append(int(votes.argmax()))
    assert knn_predict(train, labels, test, k=7, temperature=0.5, batch_size=6).tolist() == expected


def test_knn_runs_under_deterministic_algorithms():
    before = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(True)
    try:
        assert knn_predict(torch.eye(3), torch.arange(3), torch.eye(3), k=2).tolist() == [0, 1, 2]
    finally:
        torch.use_deterministic_algorithms(before)


def test_knn_rejects_bad_input():
    with pytest.raises(ValueError, match="same dim"):
        knn_predict(torch.zeros(3, 2), torch.zeros(3), torch.zeros(1, 4))
    with pytest.raises(ValueError, match="k must be an int >= 1"):
        knn_predict(torch.zeros(3, 2), torch.zeros(3), torch.zeros(1, 2), k=0)


# --- training on labels --------------------------------------------------------


def test_accuracy_counts_correct_argmax_across_batches():
    class Fixed(torch.nn.Module):  # predicts class 1 for positive first features, else class 0
        def forward(self, x):
            modes.append((self.training, torch.is_grad_enabled()))
            return torch.stack([-x[:, 0], x[:, 0]], dim=1)

    modes = []
    x = torch.tensor([[1.0], [-1.0], [2.0], [-3.0], [0.5]])
    y = torch.tensor([1, 0, 0, 0, 1])
    model = Fixed().train()
    assert accuracy(model, x, y, batch_size=2) == pytest.approx(4 / 5)
    assert modes == [(False, False)] * 3  # three batches, in eval mode, without a graph
    assert model.training  # the mode is restored
    with pytest.raises(ValueError, match="equal length, got 5 and 4"):
        accuracy(model, x, y[:4])


def image_problem(n, seed):
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 2
    x = 0.05 * torch.rand(n, 1, 4, 4, generator=g)
    x[y == 1, :, :2] += 1.0  # class 1: top half lit
    return x, y


def linear_model(seed: int) -> torch.nn.Module:
    return torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 2))


def retrain(choice: tuple, seed: int, x_tr, y_tr) -> torch.nn.Module:
    """select_supervised's run for ``seed``, redone by hand with the chosen (lr, weight decay, steps)."""
    lr, weight_decay, steps = choice
    torch.manual_seed(seed)
    model = linear_model(seed)
    idx = torch.from_numpy(sample_per_class(y_tr, 3, seed))
    train_classifier(model, x_tr[idx], y_tr[idx], steps=steps, lr=lr, weight_decay=weight_decay, seed=seed)
    return model


def test_train_classifier_uses_weight_decay_and_learns():
    x, y = image_problem(40, 0)
    torch.manual_seed(0)
    plain, decayed = linear_model(0), linear_model(0)
    decayed.load_state_dict(plain.state_dict())
    train_classifier(plain, x, y, steps=30, lr=0.1, seed=0)
    train_classifier(decayed, x, y, steps=30, lr=0.1, weight_decay=1.0, seed=0)
    assert accuracy(plain, x, y) == 1.0
    assert decayed[1].weight.norm() < plain[1].weight.norm()


def test_select_supervised_tunes_on_validation_and_leaves_the_global_rng_alone():
    x_tr, y_tr = image_problem(40, 0)
    x_val, y_val = image_problem(20, 1)
    x_te, y_te = image_problem(20, 2)
    grid = SupervisedGrid(lrs=(1e-4, 0.1), weight_decays=(0.0,), checkpoints=(1, 20))
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    result = select_supervised(linear_model, x_tr, y_tr, x_val, y_val, x_te, y_te, labels_per_class=3, seeds=(0, 1), grid=grid)
    assert torch.equal(torch.random.get_rng_state(), before)
    assert set(result.validation) == {(lr, 0.0, step) for lr in (1e-4, 0.1) for step in (1, 20)}
    assert result.choice == select(result.validation) and result.choice[0] == 0.1
    assert result.validation[(1e-4, 0.0, 1)].mean < 0.9 <= result.validation[result.choice].mean  # a tiny lr for one step cannot fit it
    assert result.test.seeds == (0, 1) and result.test.mean == 1.0
    # The chosen models are the ones scored: retraining seed 0 with the choice gives its test score.
    model = retrain(result.choice, 0, x_tr, y_tr)
    assert accuracy(model, x_te, y_te) == result.test.values[0]
    assert accuracy(model, x_val, y_val) == result.validation[result.choice].values[0]


def test_supervised_grid_checks_its_values():
    with pytest.raises(ValueError, match="increasing"):
        SupervisedGrid(checkpoints=(100, 50))
    with pytest.raises(ValueError, match="at least one value"):
        SupervisedGrid(lrs=())


# --- geometry ------------------------------------------------------------------


def test_alignment_and_uniformity_of_known_configurations():
    z = torch.eye(4)
    alignment, uniformity = alignment_uniformity(z, z)
    assert alignment == 0.0
    assert uniformity == pytest.approx(-4.0)  # every pair at squared distance 2: log exp(-2 * 2)
    collapsed = torch.ones(4, 3)
    assert alignment_uniformity(collapsed, collapsed)[1] == pytest.approx(0.0)  # all equal: the worst uniformity
    assert alignment_uniformity(z, -z)[0] == pytest.approx(4.0)


def test_a_diverging_learning_rate_scores_zero_and_is_not_chosen():
    x_tr, y_tr = image_problem(40, 0)
    y_tr = y_tr.clone()
    y_tr[::5] = 1 - y_tr[::5]  # noisy labels: no step can fit them all, so a huge learning rate overflows
    x_val, y_val = image_problem(20, 1)
    x_te, y_te = image_problem(20, 2)
    grid = SupervisedGrid(lrs=(3e38, 0.1), weight_decays=(0.0,), checkpoints=(30, 60))
    result = select_supervised(linear_model, x_tr, y_tr, x_val, y_val, x_te, y_te, labels_per_class=3, seeds=(0, 1),
                               grid=grid, optimizer="sgd")
    assert result.validation[(3e38, 0.0, 60)].values == (0.0, 0.0)
    assert result.choice[0] == 0.1 and result.histories[(3e38, 0.0)] == [None, None]
    with pytest.raises(ValueError, match="diverged for at least one seed"):
        select_supervised(linear_model, x_tr, y_tr, x_val, y_val, x_te, y_te, labels_per_class=3, seeds=(0,),
                          grid=SupervisedGrid(lrs=(3e38,), weight_decays=(0.0,), checkpoints=(30,)), optimizer="sgd")


def test_select_supervised_reports_training_accuracy_and_histories():
    x_tr, y_tr = image_problem(40, 0)
    x_val, y_val = image_problem(20, 1)
    grid = SupervisedGrid(lrs=(0.05,), weight_decays=(0.0,), checkpoints=(5, 10))
    result = select_supervised(linear_model, x_tr, y_tr, x_val, y_val, x_val, y_val, labels_per_class=3, seeds=(0, 1, 2),
                               grid=grid, optimizer="sgd")
    assert result.train.seeds == (0, 1, 2) and all(0 <= v <= 1 for v in result.train.values)
    assert [len(h.losses) for h in result.histories[(0.05, 0.0)]] == [10, 10, 10]
    with pytest.raises(ValueError, match="unknown optimizer 'lbfgs'"):
        train_classifier(linear_model(0), x_tr, y_tr, steps=1, lr=0.1, optimizer="lbfgs")


def test_sgd_and_adamw_take_different_steps():
    x, y = image_problem(40, 0)
    torch.manual_seed(0)
    a, b = linear_model(0), linear_model(0)
    b.load_state_dict(a.state_dict())
    train_classifier(a, x, y, steps=3, lr=0.01, optimizer="sgd", seed=0)
    train_classifier(b, x, y, steps=3, lr=0.01, optimizer="adamw", seed=0)
    assert not torch.allclose(a[1].weight, b[1].weight)


def test_selection_on_one_seed_then_the_chosen_settings_on_the_others():
    x_tr, y_tr = image_problem(40, 0)
    x_val, y_val = image_problem(20, 1)
    x_te, y_te = image_problem(20, 2)
    grid = SupervisedGrid(lrs=(1e-4, 0.1), weight_decays=(0.0,), checkpoints=(2, 10))
    trained = []

    def counting_model(seed):
        trained.append(seed)
        return linear_model(seed)

    result = select_supervised(counting_model, x_tr, y_tr, x_val, y_val, x_te, y_te, labels_per_class=3,
                               seeds=(0, 1, 2), selection_seeds=(0,), grid=grid)
    assert all(scores.seeds == (0,) for scores in result.validation.values())
    assert trained[:2] == [0, 0] and sorted(trained[2:4]) == [1, 2]  # the grid on seed 0, then one run per other seed
    assert result.test.seeds == (0, 1, 2)
    model = retrain(result.choice, 2, x_tr, y_tr)
    assert accuracy(model, x_te, y_te) == result.test.values[2]
    with pytest.raises(ValueError, match="selection_seeds must be a non-empty subset"):
        select_supervised(linear_model, x_tr, y_tr, x_val, y_val, x_te, y_te, labels_per_class=3,
                          seeds=(0, 1), selection_seeds=(5,), grid=grid)




# --- added by mutation testing ---------------------------------------------------


def test_select_takes_the_first_candidate_on_a_tie():
    same = SeedScores((0.5, 0.7), (0, 1))
    assert select({1.0: same, 0.1: same, 10.0: same}) == 1.0
    assert select({1.0: same, 0.1: same, 10.0: same}, higher_is_better=False) == 1.0


def test_select_probe_scores_each_seed_on_its_own_test_features():
    (x_tr, y_tr), (x_val, y_val), (x_te, y_te) = probe_problem(signal=4.0)
    noise_te = np.random.default_rng(6).normal(size=x_te.shape)
    features = {0: (x_tr, x_val, x_te), 1: (x_tr, x_val, noise_te)}
    result = select_probe(features, y_tr, y_val, y_te, labels_per_class=10, grid=(1.0,))
    for seed, test_features in ((0, x_te), (1, noise_te)):
        expected = linear_probe(x_tr, y_tr, test_features, y_te, labels_per_class=10, seeds=(seed,), c=1.0).values[0]
        assert result.test.values[seed] == expected


def test_knn_caps_k_at_the_training_set_and_flattens_images():
    assert knn_predict(torch.eye(3), torch.arange(3), torch.eye(3)).tolist() == [0, 1, 2]  # k=200 > 3 examples
    torch.manual_seed(0)
    train, labels, test = torch.rand(30, 1, 4, 4), torch.randint(0, 3, (30,)), torch.rand(5, 1, 4, 4)
    assert torch.equal(knn_predict(train, labels, test, k=5), knn_predict(train.flatten(1), labels, test.flatten(1), k=5))


def test_sgd_is_momentum_sgd_with_weight_decay():
    x, y = image_problem(40, 0)
    torch.manual_seed(0)
    ours, reference = linear_model(0), linear_model(0)
    reference.load_state_dict(ours.state_dict())
    train_classifier(ours, x, y, steps=3, lr=0.05, weight_decay=0.01, optimizer="sgd", batch_size=len(x), seed=0)
    step_rule = torch.optim.SGD(reference.parameters(), lr=0.05, momentum=0.9, weight_decay=0.01)
    for _ in range(3):  # one full batch per step: the batch order cannot matter
        step_rule.zero_grad()
        torch.nn.functional.cross_entropy(reference(x), y).backward()
        step_rule.step()
    for a, b in zip(ours.parameters(), reference.parameters()):
        assert torch.allclose(a, b, atol=1e-6)


def test_train_classifier_seed_orders_the_batches():
    x, y = image_problem(40, 0)

    def batches(seed):
        seen = []
        train_classifier(linear_model(0), x, y, steps=4, lr=0.1, batch_size=10, seed=seed,
                         augment=lambda b: seen.append(b.clone()) or b)  # fmt: skip
        return seen

    first = batches(0)
    assert len(first) == 4 and all(torch.equal(a, b) for a, b in zip(first, batches(0)))
    assert not all(torch.equal(a, b) for a, b in zip(first, batches(1)))


def test_each_seed_trains_on_its_own_labelled_draw_through_its_augmentation():
    x_tr, y_tr = image_problem(40, 0)
    x_val, y_val = image_problem(20, 1)
    seen = {}

    def make_augment(seed):
        def augment(batch):
            seen.setdefault(seed, set()).update(tuple(row.flatten().tolist()) for row in batch)
            return batch
        return augment

    grid = SupervisedGrid(lrs=(0.1,), weight_decays=(0.0,), checkpoints=(3,))
    select_supervised(linear_model, x_tr, y_tr, x_val, y_val, x_val, y_val, labels_per_class=3, seeds=(0, 1, 2),
                      grid=grid, make_augment=make_augment)  # fmt: skip
    for seed in (0, 1, 2):
        idx = sample_per_class(y_tr, 3, seed)
        assert seen[seed] == {tuple(row.flatten().tolist()) for row in x_tr[idx]}, seed


def test_select_supervised_initialises_each_model_under_its_seed():
    x_tr, y_tr = image_problem(40, 0)
    x_val, y_val = image_problem(20, 1)
    draws = []

    def recording_model(seed):
        draws.append((seed, torch.rand(1).item()))  # what an initialisation would draw
        return linear_model(seed)

    torch.manual_seed(123)
    grid = SupervisedGrid(lrs=(0.1,), weight_decays=(0.0,), checkpoints=(2,))
    select_supervised(recording_model, x_tr, y_tr, x_val, y_val, x_val, y_val, labels_per_class=3, seeds=(0, 1),
                      grid=grid)  # fmt: skip
    assert len(draws) == 4  # a training run and a scoring copy per seed
    for seed, value in draws:
        assert value == torch.rand(1, generator=torch.Generator().manual_seed(seed)).item(), seed


def test_select_supervised_never_reads_the_test_labels_to_choose():
    x_tr, y_tr = image_problem(40, 0)
    x_val, y_val = image_problem(20, 1)
    x_te, y_te = image_problem(20, 2)
    grid = SupervisedGrid(lrs=(1e-4, 0.1), weight_decays=(0.0,), checkpoints=(1, 20))
    kwargs = dict(labels_per_class=3, seeds=(0, 1), grid=grid)
    honest = select_supervised(linear_model, x_tr, y_tr, x_val, y_val, x_te, y_te, **kwargs)
    scrambled = select_supervised(linear_model, x_tr, y_tr, x_val, y_val, x_te, 1 - y_te, **kwargs)
    assert honest.validation == scrambled.validation and honest.choice == scrambled.choice
    assert honest.test.values != scrambled.test.values


def test_train_scores_are_the_chosen_models_on_their_own_labelled_examples():
    x_tr, y_tr = image_problem(40, 0)
    y_tr = y_tr.clone()
    y_tr[::3] = 1 - y_tr[::3]  # noisy labels: the labelled draws differ in how well a model fits them
    x_val, y_val = image_problem(20, 1)
    grid = SupervisedGrid(lrs=(0.1,), weight_decays=(0.0,), checkpoints=(2,))
    result = select_supervised(linear_model, x_tr, y_tr, x_val, y_val, x_val, y_val, labels_per_class=3,
                               seeds=(0, 1, 2), grid=grid)  # fmt: skip
    expected = []
    for seed in (0, 1, 2):
        torch.manual_seed(seed)
        model = linear_model(seed)
        idx = torch.from_numpy(sample_per_class(y_tr, 3, seed))
        train_classifier(model, x_tr[idx], y_tr[idx], steps=2, lr=0.1, seed=seed)
        expected.append(accuracy(model, x_tr[idx], y_tr[idx]))
    assert result.train.values == tuple(expected)
    assert result.train.values != result.validation[result.choice].values


def test_a_diverged_run_scores_zero_from_the_step_whose_loss_was_not_finite():
    """fit calls on_step before it reads the losses back: a checkpoint at or after the nan step must still score 0."""
    from sslbook.train import DivergedError

    x_tr, y_tr = image_problem(40, 0)
    y_tr = y_tr.clone()
    y_tr[::5] = 1 - y_tr[::5]
    x_val, y_val = image_problem(20, 1)
    lr, checkpoints = 3e38, (1, 2, 3, 4, 5, 6)
    diverged_at = {}
    for seed in (0, 1):  # the same run as select_supervised's, to learn where its loss stops being finite
        torch.manual_seed(seed)
        model = linear_model(seed)
        idx = torch.from_numpy(sample_per_class(y_tr, 3, seed))
        with pytest.raises(DivergedError) as info:
            train_classifier(model, x_tr[idx], y_tr[idx], steps=max(checkpoints), lr=lr, optimizer="sgd", batch_size=2, seed=seed)
        diverged_at[seed] = info.value.step
        assert diverged_at[seed] in checkpoints
    result = select_supervised(linear_model, x_tr, y_tr, x_val, y_val, x_val, y_val, labels_per_class=3, seeds=(0, 1),
                               grid=SupervisedGrid(lrs=(lr, 0.1), weight_decays=(0.0,), checkpoints=checkpoints),
                               optimizer="sgd", batch_size=2)  # fmt: skip
    for i, seed in enumerate((0, 1)):
        for step in checkpoints:
            if step >= diverged_at[seed]:
                assert result.validation[(lr, 0.0, step)].values[i] == 0.0, (seed, step)


def test_a_chosen_setting_that_diverges_on_a_later_seed_is_refused():
    x_tr, y_tr = image_problem(40, 0)
    x_val, y_val = image_problem(20, 1)

    def fragile_model(seed):  # seed 1's network starts with infinite weights: its loss is nan at once
        model = linear_model(seed)
        if seed == 1:
            with torch.no_grad():
                model[1].weight.fill_(float("inf"))
        return model

    grid = SupervisedGrid(lrs=(0.1,), weight_decays=(0.0,), checkpoints=(5,))
    with pytest.raises(ValueError, match="diverged for at least one seed"):
        select_supervised(fragile_model, x_tr, y_tr, x_val, y_val, x_val, y_val, labels_per_class=3, seeds=(0, 1),
                          selection_seeds=(0,), grid=grid)  # fmt: skip


def test_choice_margin_is_the_paired_difference_with_its_standard_error():
    from sslbook.evaluate import choice_margin

    seeds = (0, 1, 2, 3)
    best, second, third = (0.90, 0.86, 0.88, 0.91), (0.85, 0.84, 0.86, 0.86), (0.5, 0.5, 0.5, 0.5)
    candidates = {"b": SeedScores(second, seeds), "a": SeedScores(best, seeds), "c": SeedScores(third, seeds)}
    margin = choice_margin(candidates)
    differences = np.subtract(best, second)
    assert (margin.choice, margin.runner_up) == ("a", "b")
    assert margin.difference == pytest.approx(differences.mean())
    assert margin.noise == pytest.approx(differences.std(ddof=1) / 2)
    errors = choice_margin(candidates, higher_is_better=False)  # the lowest wins; its lead is still positive
    assert (errors.choice, errors.runner_up) == ("c", "b") and errors.difference == pytest.approx(np.mean(second) - 0.5)


def test_choice_margin_without_shared_seeds_uses_welch_and_one_seed_has_no_noise():
    from sslbook.evaluate import choice_margin

    a, b = SeedScores((0.9, 0.8, 0.85), (0, 1, 2)), SeedScores((0.7, 0.75), (5, 6))
    assert choice_margin({"a": a, "b": b}).noise == pytest.approx(np.sqrt(a.sd**2 / 3 + b.sd**2 / 2))
    one = choice_margin({"a": SeedScores((0.9,), (0,)), "b": SeedScores((0.8,), (0,))})
    assert one.difference == pytest.approx(0.1) and np.isnan(one.noise)
    with pytest.raises(ValueError, match="at least two candidates"):
        choice_margin({"a": a})


def test_a_selections_margin_is_that_of_its_validation_scores():
    from sslbook.evaluate import Selection, choice_margin

    validation = {0.1: SeedScores((0.8, 0.7), (0, 1)), 1.0: SeedScores((0.9, 0.85), (0, 1))}
    selection = Selection(1.0, validation, SeedScores((0.88, 0.86), (0, 1)))
    assert selection.margin == choice_margin(validation)


def test_the_default_seeds_follow_the_seed_offset(monkeypatch):
    """A notebook that leaves seeds out still re-runs on fresh seeds under SSLBOOK_SEED_OFFSET."""
    import sslbook.repro

    monkeypatch.setattr(sslbook.repro, "SEED_OFFSET", 1000)
    x, y = image_problem(40, 0)
    assert linear_probe(x, y, x, y, labels_per_class=3).seeds == (1000, 1001, 1002)
    grid = SupervisedGrid(lrs=(0.1,), weight_decays=(0.0,), checkpoints=(2,))
    result = select_supervised(linear_model, x, y, x, y, x, y, labels_per_class=3, grid=grid)
    assert result.test.seeds == (1000, 1001, 1002)
