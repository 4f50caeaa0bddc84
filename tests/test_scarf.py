import pytest
import torch
from torch.nn import functional as F

from sslbook.scarf import (
    FeatureCorruption,
    TabularEncoder,
    scarf_loss,
    scarf_loss_fn,
)
from sslbook.simclr import SimCLRModel


def test_each_row_gets_exactly_the_rate_of_its_features_replaced():
    x_train = torch.randn(50, 10)
    corrupt = FeatureCorruption(x_train, rate=0.6, seed=0)
    _, mask = corrupt(x_train[:20], return_mask=True)
    assert mask.dtype == torch.bool and mask.shape == (20, 10)
    assert mask.sum(dim=1).tolist() == [6] * 20


def test_replaced_values_come_from_the_same_column_of_the_training_rows_and_the_rest_are_kept():  # noqa: E501
    x_train = torch.arange(40.0).view(
        8, 5
    )  # column j holds j, 5 + j, 10 + j, ...: its values identify it
    x = 1000 + torch.arange(15.0).view(3, 5)  # values that no training row has
    corrupted, mask = FeatureCorruption(x_train, rate=0.4, seed=1)(
        x, return_mask=True
    )
    assert torch.equal(corrupted[~mask], x[~mask])
    columns = torch.arange(5).expand(3, 5)
    assert torch.equal(
        corrupted[mask] % 5, columns[mask].float()
    )  # replaced from its own column
    assert bool((corrupted[mask] < 40).all())  # by a training value


def test_the_corrupted_features_are_chosen_uniformly_and_per_row():
    corrupt = FeatureCorruption(torch.randn(100, 4), rate=0.5, seed=0)
    x = torch.zeros(4000, 4)
    _, mask = corrupt(x, return_mask=True)
    assert mask.float().mean(dim=0).tolist() == pytest.approx(
        [0.5] * 4, abs=0.03
    )
    assert (
        len({tuple(row.tolist()) for row in mask}) == 6
    )  # all C(4, 2) subsets occur, so rows differ


def test_donor_rows_are_drawn_uniformly():
    x_train = torch.arange(4.0).view(4, 1)
    corrupted = FeatureCorruption(x_train, rate=1.0, seed=0)(
        torch.zeros(8000, 1)
    )
    counts = torch.bincount(corrupted[:, 0].long(), minlength=4).float() / 8000
    assert counts.tolist() == pytest.approx([0.25] * 4, abs=0.02)


def test_corruption_is_seeded_and_leaves_the_global_rng_alone():
    x_train = torch.randn(30, 6)
    torch.manual_seed(5)
    before = torch.get_rng_state()
    first = FeatureCorruption(x_train, rate=0.5, seed=3)(x_train)
    assert torch.equal(torch.get_rng_state(), before)
    assert torch.equal(
        first, FeatureCorruption(x_train, rate=0.5, seed=3)(x_train)
    )
    assert not torch.equal(
        first, FeatureCorruption(x_train, rate=0.5, seed=4)(x_train)
    )


def test_rates_zero_and_one_and_rounding():
    x_train = torch.randn(30, 5)
    assert torch.equal(FeatureCorruption(x_train, rate=0.0)(x_train), x_train)
    assert FeatureCorruption(x_train, rate=1.0)(x_train, return_mask=True)[
        1
    ].all()
    assert (
        FeatureCorruption(x_train, rate=0.5).n_corrupted == 2
    )  # round(2.5) is 2 in Python


def test_the_corruption_keeps_dtype_and_checks_its_input():
    corrupt = FeatureCorruption(torch.randn(10, 3), rate=0.5)
    assert (
        corrupt(torch.randn(4, 3, dtype=torch.float64)).dtype == torch.float64
    )
    with pytest.raises(ValueError, match=r"x must be \(batch, 3\)"):
        corrupt(torch.randn(4, 2))
    with pytest.raises(ValueError, match=r"rate must be in \[0, 1\]"):
        FeatureCorruption(torch.randn(10, 3), rate=1.5)
    with pytest.raises(ValueError, match="x_train must be"):
        FeatureCorruption(torch.randn(10), rate=0.5)


def test_scarf_loss_is_infonce_with_the_corrupted_rows_as_candidates():
    torch.manual_seed(0)
    z, z_tilde = torch.randn(6, 8), torch.randn(6, 8)
    tau = 0.7
    expected = 0.0
    for i in range(6):
        scores = (
            torch.stack(
                [
                    F.cosine_similarity(z[i], z_tilde[j], dim=0)
                    for j in range(6)
                ]
            )
            / tau
        )
        expected += -(scores[i] - torch.logsumexp(scores, dim=0)) / 6
    assert scarf_loss(z, z_tilde, tau).item() == pytest.approx(
        expected.item(), rel=1e-5
    )
    assert scarf_loss(z, z_tilde, tau).item() != pytest.approx(
        scarf_loss(z, z_tilde, 1.0).item()
    )


def test_scarf_loss_is_low_when_each_row_matches_its_view_and_log_n_when_all_alike():  # noqa: E501
    z = torch.eye(4) * 5
    assert scarf_loss(z, z, 0.1).item() < 1e-3
    assert scarf_loss(
        torch.ones(4, 3), torch.ones(4, 3)
    ).item() == pytest.approx(torch.log(torch.tensor(4.0)).item())


@pytest.mark.parametrize(
    "z, z_tilde, tau, message",
    [
        (torch.randn(4, 3), torch.randn(4, 2), 1.0, "equal shapes"),
        (torch.randn(1, 3), torch.randn(1, 3), 1.0, "at least 2 rows"),
        (
            torch.randn(4, 3),
            torch.randn(4, 3),
            0.0,
            "temperature must be a finite number > 0",
        ),
    ],
)
def test_scarf_loss_checks_its_input(z, z_tilde, tau, message):
    with pytest.raises(ValueError, match=message):
        scarf_loss(z, z_tilde, tau)


def test_tabular_encoder_shapes_depth_and_checks():
    encoder = TabularEncoder(30, out_dim=16, depth=3)
    assert encoder(torch.randn(5, 30)).shape == (5, 16)
    assert sum(isinstance(m, torch.nn.Linear) for m in encoder.modules()) == 3
    assert encoder.out_dim == 16
    with pytest.raises(ValueError, match=r"\(batch, 30\)"):
        encoder(torch.randn(5, 29))
    with pytest.raises(ValueError, match="depth must be an int >= 1"):
        TabularEncoder(30, depth=0)


def test_loss_fn_embeds_both_views_and_training_lowers_the_loss():
    torch.manual_seed(0)
    x = torch.randn(64, 10)
    model = SimCLRModel(TabularEncoder(10, out_dim=16), projection_dim=8)
    loss_fn = scarf_loss_fn(
        FeatureCorruption(x, rate=0.3, seed=0), temperature=0.5
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    first = loss_fn(model, (x,)).item()
    for _ in range(100):
        optimizer.zero_grad()
        loss = loss_fn(model, (x, torch.zeros(64)))
        loss.backward()
        optimizer.step()
    assert loss.item() < 0.8 * first
