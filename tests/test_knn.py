"""sslbook.knn: the weighted kNN classifier of frozen features."""

import pytest
import torch

from sslbook.knn import knn_accuracy, knn_predict


def test_knn_is_right_on_a_planted_problem():
    torch.manual_seed(0)
    directions = torch.eye(3)
    train_labels = torch.arange(300) % 3
    train = directions[train_labels] + 0.1 * torch.randn(300, 3)
    test_labels = torch.tensor([2, 0, 1, 1])
    test = directions[test_labels] * 5.0  # cosine ignores the scale
    assert knn_predict(
        train, train_labels, test, k=200, temperature=0.1
    ).tolist() == [2, 0, 1, 1]
    assert knn_accuracy(train, train_labels, test, test_labels) == 1.0


def test_knn_weights_close_neighbours_more():
    # two votes for class 0 far away, one for class 1 very close: with a small
    # τ, class 1 wins
    train = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    labels = torch.tensor([1, 0, 0])
    query = torch.tensor([[1.0, 0.2]])
    assert knn_predict(train, labels, query, k=3, temperature=0.1).item() == 1
    assert (
        knn_predict(train, labels, query, k=3, temperature=100.0).item() == 0
    )  # nearly unweighted: majority


def test_knn_votes_equal_an_explicit_loop():
    torch.manual_seed(1)
    train, labels, test = (
        torch.randn(50, 4),
        torch.randint(0, 5, (50,)),
        torch.randn(20, 4),
    )
    bank = torch.nn.functional.normalize(train, dim=1)
    expected = []
    for q in torch.nn.functional.normalize(test, dim=1):
        sims, idx = (bank @ q).topk(7)
        votes = torch.zeros(5)
        for s, i in zip(sims, idx):
            votes[labels[i]] += torch.exp(s / 0.5)
        expected.append(int(votes.argmax()))
    assert (
        knn_predict(
            train, labels, test, k=7, temperature=0.5, batch_size=6
        ).tolist()
        == expected
    )


def test_knn_runs_under_deterministic_algorithms():
    before = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(True)
    try:
        assert knn_predict(
            torch.eye(3), torch.arange(3), torch.eye(3), k=2
        ).tolist() == [0, 1, 2]
    finally:
        torch.use_deterministic_algorithms(before)


def test_knn_rejects_bad_input():
    with pytest.raises(ValueError, match="same dim"):
        knn_predict(torch.zeros(3, 2), torch.zeros(3), torch.zeros(1, 4))
    with pytest.raises(ValueError, match="k must be an int >= 1"):
        knn_predict(torch.zeros(3, 2), torch.zeros(3), torch.zeros(1, 2), k=0)


def test_knn_caps_k_at_the_training_set_and_flattens_images():
    assert knn_predict(
        torch.eye(3), torch.arange(3), torch.eye(3)
    ).tolist() == [0, 1, 2]  # k=200 > 3 examples
    torch.manual_seed(0)
    train, labels, test = (
        torch.rand(30, 1, 4, 4),
        torch.randint(0, 3, (30,)),
        torch.rand(5, 1, 4, 4),
    )
    assert torch.equal(
        knn_predict(train, labels, test, k=5),
        knn_predict(train.flatten(1), labels, test.flatten(1), k=5),
    )
