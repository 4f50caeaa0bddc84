"""sslbook.geometry: alignment and uniformity."""

import pytest
import torch

from sslbook.geometry import alignment_uniformity


def test_alignment_and_uniformity_of_known_configurations():
    z = torch.eye(4)
    alignment, uniformity = alignment_uniformity(z, z)
    assert alignment == 0.0
    assert uniformity == pytest.approx(
        -4.0
    )  # every pair at squared distance 2: log exp(-2 * 2)
    collapsed = torch.ones(4, 3)
    assert alignment_uniformity(collapsed, collapsed)[1] == pytest.approx(
        0.0
    )  # all equal: the worst uniformity
    assert alignment_uniformity(z, -z)[0] == pytest.approx(4.0)
