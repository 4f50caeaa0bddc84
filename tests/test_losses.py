import math

import pytest
import torch
from torch.nn import functional as F

from sslbook.losses import info_nce_loss, nt_xent_loss


def nt_xent_by_loop(z1, z2, temperature):
    """Chen et al. (2020), eq. 1, written anchor by anchor: an independent
    reference.
    """
    z = torch.cat([z1, z2])
    n2 = len(z)
    total = 0.0
    for i in range(n2):
        j = (i + n2 // 2) % n2  # the positive of view i
        sim = lambda a, b: (
            F.cosine_similarity(z[a], z[b], dim=0) / temperature
        ).exp()  # noqa: E731
        denominator = sum(sim(i, k) for k in range(n2) if k != i)
        total = total - torch.log(sim(i, j) / denominator)
    return total / n2


@pytest.mark.parametrize(
    "n, dim, temperature", [(2, 3, 0.5), (5, 8, 0.1), (7, 4, 1.0)]
)
def test_nt_xent_matches_the_per_anchor_formula(n, dim, temperature):
    torch.manual_seed(n)
    z1, z2 = (
        torch.randn(n, dim, dtype=torch.float64),
        torch.randn(n, dim, dtype=torch.float64),
    )
    assert nt_xent_loss(z1, z2, temperature).item() == pytest.approx(
        nt_xent_by_loop(z1, z2, temperature).item(), abs=1e-6
    )


def test_nt_xent_is_invariant_to_scale_and_symmetric_in_its_views():
    torch.manual_seed(0)
    z1, z2 = torch.randn(6, 5), torch.randn(6, 5)
    loss = nt_xent_loss(z1, z2)
    assert nt_xent_loss(3.0 * z1, 0.2 * z2).item() == pytest.approx(
        loss.item(), abs=1e-6
    )
    assert nt_xent_loss(z2, z1).item() == pytest.approx(loss.item(), abs=1e-6)


def test_nt_xent_is_low_for_matching_views_and_log_of_negatives_for_identical_embeddings():  # noqa: E501
    z = torch.eye(4)
    assert (
        nt_xent_loss(z, z, temperature=0.05).item() < 1e-6
    )  # each view finds its twin, negatives orthogonal
    same = torch.ones(4, 3)
    assert nt_xent_loss(same, same).item() == pytest.approx(
        math.log(7)
    )  # collapse: 1 positive among 7 equals


def test_nt_xent_gradcheck_in_float64():
    torch.manual_seed(0)
    z1 = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
    z2 = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda a, b: nt_xent_loss(a, b, 0.3), (z1, z2)
    )


@pytest.mark.parametrize(
    "z1, z2, temperature, message",
    [
        (
            torch.zeros(4, 3),
            torch.zeros(4, 2),
            0.5,
            r"equal shapes, got \(4, 3\) and \(4, 2\)",
        ),
        (torch.zeros(4), torch.zeros(4), 0.5, "must both be \\(batch, dim\\)"),
        (torch.zeros(1, 3), torch.zeros(1, 3), 0.5, "at least 2 examples"),
        (
            torch.zeros(4, 3),
            torch.zeros(4, 3),
            0.0,
            "temperature must be a finite number > 0, got 0.0",
        ),
        (
            torch.zeros(4, 3),
            torch.zeros(4, 3),
            float("nan"),
            "temperature must be a finite number > 0",
        ),
    ],
)
def test_nt_xent_rejects_bad_input(z1, z2, temperature, message):
    with pytest.raises(ValueError, match=message):
        nt_xent_loss(z1, z2, temperature)


def test_info_nce_with_one_negative_is_the_sources_formula_negated():
    torch.manual_seed(0)
    anchor, positive, negative = (
        torch.randn(5, 4),
        torch.randn(5, 4),
        torch.randn(5, 1, 4),
    )
    tau = 0.5
    s_pos = F.cosine_similarity(anchor, positive) / tau
    s_neg = F.cosine_similarity(anchor, negative[:, 0]) / tau
    source = torch.log(
        torch.exp(s_pos) / (torch.exp(s_pos) + torch.exp(s_neg))
    ).mean()  # section 3.3, as written
    assert info_nce_loss(
        anchor, positive, negative, tau
    ).item() == pytest.approx(-source.item(), abs=1e-6)


def test_nt_xent_is_info_nce_with_the_other_views_as_negatives():
    torch.manual_seed(1)
    n = 4
    z1, z2 = (
        torch.randn(n, 3, dtype=torch.float64),
        torch.randn(n, 3, dtype=torch.float64),
    )
    z = torch.cat([z1, z2])
    anchors, positives, negatives = [], [], []
    for i in range(2 * n):
        j = (i + n) % (2 * n)
        anchors.append(z[i])
        positives.append(z[j])
        negatives.append(
            torch.stack([z[k] for k in range(2 * n) if k not in (i, j)])
        )
    expected = info_nce_loss(
        torch.stack(anchors),
        torch.stack(positives),
        torch.stack(negatives),
        0.5,
    )
    assert nt_xent_loss(z1, z2, 0.5).item() == pytest.approx(
        expected.item(), abs=1e-9
    )


def test_info_nce_accepts_shared_negatives_and_checks_shapes():
    torch.manual_seed(2)
    anchor, positive, queue = (
        torch.randn(3, 4),
        torch.randn(3, 4),
        torch.randn(6, 4),
    )
    per_anchor = info_nce_loss(anchor, positive, queue.expand(3, 6, 4), 0.2)
    assert info_nce_loss(anchor, positive, queue, 0.2).item() == pytest.approx(
        per_anchor.item(), abs=1e-6
    )
    with pytest.raises(
        ValueError,
        match=r"negatives must be \(batch, k, 4\) or \(k, 4\), got \(6, 5\)",
    ):
        info_nce_loss(anchor, positive, torch.randn(6, 5))
    with pytest.raises(ValueError, match="at least one negative"):
        info_nce_loss(anchor, positive, torch.randn(0, 4))


def test_nt_xent_gather_flag_without_a_process_group_is_the_plain_loss():
    # The two-process case is tested in test_distributed.py.
    torch.manual_seed(0)
    z1, z2 = torch.randn(6, 5), torch.randn(6, 5)
    assert torch.equal(
        nt_xent_loss(z1, z2, 0.3, gather_distributed=True),
        nt_xent_loss(z1, z2, 0.3),
    )


# --- added by mutation testing -----------------------------------------------


def test_gathered_nt_xent_checks_rank_gather_and_temperature():
    from sslbook.losses import nt_xent_loss_gathered

    z1, z2 = torch.randn(4, 3), torch.randn(4, 3)
    twice = lambda t: torch.cat([t, t])  # noqa: E731  (a two-process gather, simulated)
    with pytest.raises(
        ValueError, match="rank must be in \\[0, world\\), got rank=2, world=2"
    ):
        nt_xent_loss_gathered(z1, z2, 0.5, world=2, rank=2, gather=twice)
    with pytest.raises(
        ValueError,
        match="gather returned 4 rows per view, expected world × batch = 8",
    ):
        nt_xent_loss_gathered(z1, z2, 0.5, world=2, rank=0, gather=lambda t: t)
    with pytest.raises(
        ValueError, match="temperature must be a finite number > 0"
    ):
        nt_xent_loss_gathered(z1, z2, 0.0, world=2, rank=0, gather=twice)
    assert nt_xent_loss_gathered(
        z1, z2, 0.5, world=1, rank=0, gather=lambda t: t
    ).item() == pytest.approx(nt_xent_loss(z1, z2, 0.5).item())


def test_cosine_logits_are_every_cosine_over_the_temperature():
    from sslbook.losses import cosine_logits

    torch.manual_seed(0)
    a, b = torch.randn(5, 3), torch.randn(7, 3)
    cosines = F.cosine_similarity(a[:, None], b[None], dim=-1)  # (5, 7)
    assert torch.allclose(cosine_logits(a, b, 0.3), cosines / 0.3, atol=1e-5)
    self_cosines = F.cosine_similarity(a[:, None], a[None], dim=-1)
    assert torch.allclose(
        cosine_logits(a, a, 0.3), self_cosines / 0.3, atol=1e-5
    )
