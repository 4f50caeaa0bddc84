import numpy as np
import pytest
import torch

from sslbook.evaluate import alignment_uniformity, knn_accuracy, knn_predict, linear_probe, sample_per_class, train_from_scratch


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
    with pytest.raises(ValueError, match="k must be a positive int"):
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
    assert good.labels_per_class == 5 and len(good.accuracies) == 2


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


def test_accuracy_counts_correct_argmax_across_batches():
    from sslbook.evaluate import accuracy

    class Fixed(torch.nn.Module):  # predicts class 1 for positive first features, else class 0
        def forward(self, x):
            return torch.stack([-x[:, 0], x[:, 0]], dim=1)

    x = torch.tensor([[1.0], [-1.0], [2.0], [-3.0], [0.5]])
    y = torch.tensor([1, 0, 0, 0, 1])
    model = Fixed().train()
    assert accuracy(model, x, y, batch_size=2) == pytest.approx(4 / 5)
    assert not model.training
    with pytest.raises(ValueError, match="equal length, got 5 and 4"):
        accuracy(model, x, y[:4])


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


def test_knn_rejects_bad_input():
    with pytest.raises(ValueError, match="same dim"):
        knn_predict(torch.zeros(3, 2), torch.zeros(3), torch.zeros(1, 4))
    with pytest.raises(ValueError, match="k must be >= 1"):
        knn_predict(torch.zeros(3, 2), torch.zeros(3), torch.zeros(1, 2), k=0)


def test_alignment_and_uniformity_of_known_configurations():
    z = torch.eye(4)
    alignment, uniformity = alignment_uniformity(z, z)
    assert alignment == 0.0
    assert uniformity == pytest.approx(-4.0)  # every pair at squared distance 2: log exp(-2 * 2)
    collapsed = torch.ones(4, 3)
    assert alignment_uniformity(collapsed, collapsed)[1] == pytest.approx(0.0)  # all equal: the worst uniformity
    assert alignment_uniformity(z, -z)[0] == pytest.approx(4.0)


def test_train_from_scratch_learns_separable_images():
    torch.manual_seed(0)
    y = torch.arange(40) % 2
    x = torch.zeros(40, 1, 4, 4)
    x[y == 1, :, :2] = 1.0  # class 1: top half lit
    x += 0.05 * torch.rand_like(x)
    result = train_from_scratch(lambda: torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 2)),
                                x, y, x, y, labels_per_class=3, seeds=(0, 1), steps=50, lr=0.1)
    assert result.labels_per_class == 3 and len(result.accuracies) == 2
    assert result.mean == 1.0
