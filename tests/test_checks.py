"""sslbook.checks: one message format for a bad count or a bad real number."""

import math

import numpy as np
import pytest
import torch

from sslbook.checks import check_int, check_real
from sslbook.clip import clip_loss
from sslbook.knn import knn_predict
from sslbook.losses import nt_xent_loss
from sslbook.scarf import scarf_loss


def test_check_int_refuses_booleans_floats_and_small_values():
    assert (
        check_int("k", np.int64(3)) == 3
        and type(check_int("k", np.int64(3))) is int
    )
    for bad in (True, 2.0, 0, "3"):
        with pytest.raises(
            ValueError, match=f"k must be an int >= 1, got {bad!r}"
        ):
            check_int("k", bad)
    assert check_int("steps", 0, minimum=0) == 0


@pytest.mark.parametrize(
    "interval, inside, outside",
    [
        ("[0, 1]", [0, 0.5, 1], [-0.01, 1.01]),
        ("[0, 1)", [0, 0.99], [1, -1e-9]),
        ("(0, 1)", [1e-9, 0.5], [0, 1]),
        ("(0, inf)", [1e-12, 1e12], [0, -1]),
        ("[0, inf)", [0, 3], [-1e-12]),
        ("[0, 0.5]", [0.5], [0.51]),
        ("(-inf, 0]", [-1e9, 0], [1e-9]),
        ("[-1, 1e-3)", [-1, 0], [-1.01, 1e-3]),
    ],
)
def test_check_real_honours_open_and_closed_ends(interval, inside, outside):
    for value in inside:
        result = check_real("x", value, interval)
        assert result == value and type(result) is float
    for value in outside:
        with pytest.raises(ValueError, match=r"^x must be .*, got "):
            check_real("x", value, interval)


@pytest.mark.parametrize(
    "bad",
    [
        True,
        float("nan"),
        float("inf"),
        -math.inf,
        "0.5",
        None,
        torch.tensor([0.5, 0.5]),
        10**400,
    ],
)
def test_check_real_refuses_what_is_not_a_finite_real_number(bad):
    with pytest.raises(ValueError, match="rate must be in \\[0, 1\\]"):
        check_real("rate", bad, "[0, 1]")


def test_check_real_words_its_message_by_the_interval_and_the_reason():
    with pytest.raises(
        ValueError, match=r"^tau must be a finite number > 0, got 0$"
    ):
        check_real("tau", 0, "(0, inf)")
    with pytest.raises(
        ValueError,
        match=(
            r"^noise must be a finite number >= 0 "
            r"\(a standard deviation\), got -1\.0$"
        ),
    ):
        check_real("noise", -1.0, "[0, inf)", why="a standard deviation")
    with pytest.raises(ValueError, match=r"^m must be in \[0, 1\), got 1$"):
        check_real("m", 1, "[0, 1)")
    assert check_real("x", np.float32(0.25), "[0, 1]") == 0.25


@pytest.mark.parametrize("interval", ["0 to 1", "[1.2.3, 2]", "[0; 1]"])
def test_check_real_refuses_an_interval_it_cannot_read(interval):
    with pytest.raises(ValueError, match="interval must look like"):
        check_real("x", 0.5, interval)


@pytest.mark.parametrize(
    "interval", ["[1, 0]", "[0, 0]", "[0, inf]", "[-inf, 0)"]
)
def test_check_real_refuses_an_empty_interval_or_a_closed_infinite_end(
    interval,
):
    with pytest.raises(
        ValueError, match="from a lower to a higher end, infinite ends open"
    ):
        check_real("x", 0.5, interval)


def test_a_one_element_tensor_is_checked_and_returned_unchanged():
    tau = torch.nn.Parameter(
        torch.tensor(0.07)
    )  # a learned temperature, as in CLIP
    assert check_real("temperature", tau, "(0, inf)") is tau
    assert check_real("x", np.float32(0.5), "[0, 1]") == 0.5
    with pytest.raises(
        ValueError, match="temperature must be a finite number > 0"
    ):
        check_real("temperature", torch.tensor(-0.07), "(0, inf)")
    loss = clip_loss(torch.randn(4, 3), torch.randn(4, 3), tau)
    loss.backward()
    assert tau.grad is not None and torch.isfinite(tau.grad)


def test_the_message_of_a_half_line_names_its_finite_end():
    with pytest.raises(
        ValueError, match=r"^x must be a finite number <= 0, got 1$"
    ):
        check_real("x", 1, "(-inf, 0]")
    with pytest.raises(
        ValueError, match=r"^x must be a finite number, got inf$"
    ):
        check_real("x", math.inf, "(-inf, inf)")


# Every loss or score that takes a temperature refuses the same values
# (clip_loss, scarf_loss and knn_predict accepted an infinite or boolean one).
@pytest.mark.parametrize("bad", [0.0, -1.0, float("inf"), float("nan"), True])
@pytest.mark.parametrize(
    "call",
    [
        lambda t: nt_xent_loss(torch.randn(4, 3), torch.randn(4, 3), t),
        lambda t: clip_loss(torch.randn(4, 3), torch.randn(4, 3), t),
        lambda t: scarf_loss(torch.randn(4, 3), torch.randn(4, 3), t),
        lambda t: knn_predict(
            torch.randn(6, 3),
            torch.arange(6) % 2,
            torch.randn(2, 3),
            k=3,
            temperature=t,
        ),
    ],
    ids=["nt_xent_loss", "clip_loss", "scarf_loss", "knn_predict"],
)
def test_every_temperature_is_checked_alike(call, bad):
    with pytest.raises(
        ValueError, match="temperature must be a finite number > 0"
    ):
        call(bad)


def test_check_int_adds_its_reason_to_the_message():
    with pytest.raises(
        ValueError,
        match=r"^dim must be an int >= 2 \(half is a layer\), got 1$",
    ):
        check_int("dim", 1, 2, why="half is a layer")
