import pytest
import torch

from sslbook.models import (
    ConvAutoencoder,
    ConvEncoder,
    DeepMLP,
    MLPConfig,
    encode,
    eval_mode,
    reconstruction_loss,
)
from sslbook.train import fit


def test_output_shape_and_weight_layers():
    model = DeepMLP(
        MLPConfig(in_features=64, hidden=16, depth=5, out_features=3)
    )
    assert model(torch.zeros(7, 1, 8, 8)).shape == (7, 3)
    linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    assert len(linears) == 6  # depth hidden layers + the head


@pytest.mark.parametrize(
    "init, expected_std",
    [
        ("normal", 0.5),
        ("glorot", (2 / (400 + 400)) ** 0.5),
        ("he", (2 / 400) ** 0.5),
    ],
)
def test_initialisations_have_the_documented_scale(init, expected_std):
    torch.manual_seed(0)
    model = DeepMLP(
        MLPConfig(
            in_features=400, hidden=400, depth=2, init=init, init_std=0.5
        )
    )
    weight = model.blocks[1][0].weight  # a 400×400 hidden layer: 160,000 draws
    assert weight.std().item() == pytest.approx(expected_std, rel=0.02)
    assert torch.count_nonzero(model.blocks[1][0].bias) == 0


def test_residual_adds_the_block_input():
    config = MLPConfig(
        in_features=4, hidden=4, depth=2, activation="relu", residual=True
    )
    model = DeepMLP(config)
    x = torch.randn(3, 4)
    h1 = model.blocks[0](x)
    expected = model.head(h1 + model.blocks[1](h1))
    assert torch.allclose(model(x), expected)


def test_batchnorm_is_inserted_before_the_activation():
    model = DeepMLP(
        MLPConfig(in_features=4, hidden=4, depth=2, batchnorm=True)
    )
    assert [type(m).__name__ for m in model.blocks[0]] == [
        "Linear",
        "BatchNorm1d",
        "Sigmoid",
    ]


def test_wrong_input_size_is_explained():
    model = DeepMLP(MLPConfig(in_features=784, depth=1))
    with pytest.raises(ValueError, match="64 features .* in_features=784"):
        model(torch.zeros(2, 1, 8, 8))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"depth": 0}, "depth must be an int >= 1"),
        ({"hidden": 2.5}, "hidden must be an int >= 1"),
        (
            {"activation": "gelu"},
            "unknown activation 'gelu'; known: sigmoid, tanh, relu",
        ),
        (
            {"init": "xavier"},
            "unknown init 'xavier'; known: default, normal, glorot, he",
        ),
        ({"init_std": 0.0}, "init_std must be a finite number > 0"),
    ],
)
def test_bad_config_is_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MLPConfig(**kwargs)


@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 32, 32)])
def test_autoencoder_output_shape_equals_input_shape(shape):
    ae = ConvAutoencoder(
        in_channels=shape[0], image_size=shape[1], latent_dim=5
    )
    x = torch.rand(4, *shape)
    assert ae(x).shape == x.shape
    assert ae.encode(x).shape == (4, 5)
    assert encode(ae.encoder, x).shape == (4, 5)
    out = ae(x)
    assert (
        out.min() >= 0 and out.max() <= 1
    )  # a sigmoid output, like the pixels


def test_autoencoder_rejects_bad_input():
    ae = ConvAutoencoder(in_channels=1, image_size=28, latent_dim=4)
    with pytest.raises(
        ValueError,
        match=(
            r"expected input of shape \(batch, 1, 28, 28\), "
            r"got \(2, 3, 28, 28\)"
        ),
    ):
        ae(torch.rand(2, 3, 28, 28))
    with pytest.raises(
        ValueError, match="latent_dim must be an int >= 1, got 0"
    ):
        ConvAutoencoder(latent_dim=0)
    with pytest.raises(ValueError, match="image_size must be a multiple of 4"):
        ConvAutoencoder(image_size=30)


def test_reconstruction_loss_decreases_on_a_tiny_batch():
    torch.manual_seed(0)
    x = torch.rand(8, 1, 28, 28)
    ae = ConvAutoencoder(latent_dim=8)
    history = fit(
        ae,
        reconstruction_loss,
        [(x,)],
        torch.optim.Adam(ae.parameters(), lr=1e-2),
        steps=60,
        seed=0,
        progress=False,
    )
    assert history.losses[-1] < 0.5 * history.losses[0]
    assert reconstruction_loss(
        ae, (x, torch.zeros(8))
    ).item() == pytest.approx(torch.nn.functional.mse_loss(ae(x), x).item())


def test_encode_restores_training_mode_and_batches():
    encoder = ConvEncoder(1, 8, 3, batchnorm=True)
    x = torch.rand(10, 1, 8, 8)
    encoder.eval()
    expected = encoder(x)
    encoder.train()
    assert torch.allclose(
        encode(encoder, x, batch_size=3), expected, atol=1e-6
    )
    assert encoder.training


def test_eval_mode_restores_every_submodules_own_mode_even_on_an_error():
    net = torch.nn.Sequential(
        torch.nn.Linear(2, 2), torch.nn.BatchNorm1d(2), torch.nn.Dropout()
    ).train()
    net[1].eval()  # a frozen BatchNorm inside a training network
    before = [m.training for m in net.modules()]
    with eval_mode(net) as inside:
        assert inside is net
        assert not any(m.training for m in net.modules())
    assert (
        [m.training for m in net.modules()]
        == before
        == [True, True, False, True]
    )
    with pytest.raises(RuntimeError, match="inside"):
        with eval_mode(net):
            raise RuntimeError("inside the block")
    assert [m.training for m in net.modules()] == before


def test_eval_mode_restores_through_each_modules_own_train():
    class KeepsItsNormFrozen(
        torch.nn.Module
    ):  # overrides train(), as a frozen part would
        def __init__(self):
            super().__init__()
            self.norm = torch.nn.BatchNorm1d(2)

        def train(self, mode=True):
            super().train(mode)
            self.norm.eval()
            calls.append(mode)
            return self

    calls = []
    net = torch.nn.Sequential(
        torch.nn.Linear(2, 2), KeepsItsNormFrozen()
    ).train()
    calls.clear()
    with eval_mode(net):
        assert calls == [False]
    assert calls[-1] is True and net[1].training and not net[1].norm.training
