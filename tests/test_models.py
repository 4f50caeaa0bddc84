import pytest
import torch

from sslbook.models import DeepMLP, MLPConfig


def test_output_shape_and_weight_layers():
    model = DeepMLP(MLPConfig(in_features=64, hidden=16, depth=5, out_features=3))
    assert model(torch.zeros(7, 1, 8, 8)).shape == (7, 3)
    linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    assert len(linears) == 6  # depth hidden layers + the head


@pytest.mark.parametrize("init, expected_std", [("normal", 0.5), ("glorot", (2 / (400 + 400)) ** 0.5), ("he", (2 / 400) ** 0.5)])
def test_initialisations_have_the_documented_scale(init, expected_std):
    torch.manual_seed(0)
    model = DeepMLP(MLPConfig(in_features=400, hidden=400, depth=2, init=init, init_std=0.5))
    weight = model.blocks[1][0].weight  # a 400×400 hidden layer: 160,000 draws
    assert weight.std().item() == pytest.approx(expected_std, rel=0.02)
    assert torch.count_nonzero(model.blocks[1][0].bias) == 0


def test_residual_adds_the_block_input():
    config = MLPConfig(in_features=4, hidden=4, depth=2, activation="relu", residual=True)
    model = DeepMLP(config)
    x = torch.randn(3, 4)
    h1 = model.blocks[0](x)
    expected = model.head(h1 + model.blocks[1](h1))
    assert torch.allclose(model(x), expected)


def test_batchnorm_is_inserted_before_the_activation():
    model = DeepMLP(MLPConfig(in_features=4, hidden=4, depth=2, batchnorm=True))
    assert [type(m).__name__ for m in model.blocks[0]] == ["Linear", "BatchNorm1d", "Sigmoid"]


def test_wrong_input_size_is_explained():
    model = DeepMLP(MLPConfig(in_features=784, depth=1))
    with pytest.raises(ValueError, match="64 features .* in_features=784"):
        model(torch.zeros(2, 1, 8, 8))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"depth": 0}, "depth must be a positive int"),
        ({"hidden": 2.5}, "hidden must be a positive int"),
        ({"activation": "gelu"}, "unknown activation 'gelu'; known: sigmoid, tanh, relu"),
        ({"init": "xavier"}, "unknown init 'xavier'; known: default, normal, glorot, he"),
        ({"init_std": 0.0}, "init_std must be > 0"),
    ],
)
def test_bad_config_is_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MLPConfig(**kwargs)
