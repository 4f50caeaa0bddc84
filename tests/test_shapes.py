import pytest
import torch

from sslbook.shapes import shape_trace


def test_shape_trace_of_a_known_stack():
    stack = torch.nn.Sequential(
        torch.nn.Conv2d(3, 8, 3),
        torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(8 * 15 * 15, 4),
    )
    table = shape_trace(stack, (3, 32, 32))
    assert table["output shape"].tolist() == [
        (8, 30, 30),
        (8, 15, 15),
        (1800,),
        (4,),
    ]
    assert table["type"].tolist() == [
        "Conv2d",
        "MaxPool2d",
        "Flatten",
        "Linear",
    ]
    assert table["parameters"].tolist() == [3 * 8 * 9 + 8, 0, 0, 1800 * 4 + 4]
    assert stack.training  # the mode is restored


def test_shape_trace_names_the_layers_before_a_failure():
    stack = torch.nn.Sequential(
        torch.nn.Conv2d(3, 8, 3), torch.nn.Linear(5, 2)
    )
    with pytest.raises(RuntimeError) as info:
        shape_trace(stack, (3, 8, 8))
    assert "the layers before the failure gave [('0', (8, 6, 6))]" in "".join(
        info.value.__notes__
    )
    with pytest.raises(
        ValueError, match="each size in input_shape must be an int >= 1, got 0"
    ):
        shape_trace(stack, (3, 0, 8))
    with pytest.raises(
        ValueError,
        match="input_shape must be a non-empty tuple of positive ints",
    ):
        shape_trace(stack, ())
