import pytest
import torch

from sslbook.augment import SimCLRAugment, augment_config
from sslbook.data import load_images
from sslbook.models import ConvEncoder
from sslbook.simclr import SimCLRModel, simclr_loss_fn
from sslbook.train import fit, make_loader


def test_model_shapes_and_head():
    model = SimCLRModel(
        ConvEncoder(1, 28, 32, widths=(8, 16), batchnorm=True),
        projection_dim=16,
    )
    assert model(torch.rand(3, 1, 28, 28)).shape == (3, 16)
    assert model.encoder(torch.rand(3, 1, 28, 28)).shape == (3, 32)
    with pytest.raises(TypeError, match="out_dim"):
        SimCLRModel(torch.nn.Linear(3, 3))
    encoder = ConvEncoder(1, 28, 8, widths=(2, 4))
    with pytest.raises(ValueError, match="projection_dim must be an int >= 1"):
        SimCLRModel(encoder, projection_dim=0)
    # the head is Linear, ReLU, Linear, from h's size to z's
    assert [type(m).__name__ for m in model.head] == [
        "Linear",
        "ReLU",
        "Linear",
    ]
    assert model.head[0].in_features == model.head[0].out_features == 32


def test_simclr_loss_decreases_on_a_tiny_dataset():
    x = load_images("digits", seed=0).x_train[
        :64
    ]  # 8×8 digits, shipped with scikit-learn
    model = SimCLRModel(
        ConvEncoder(1, 8, 32, widths=(8, 16), batchnorm=True),
        projection_dim=16,
    )
    loss_fn = simclr_loss_fn(
        SimCLRAugment(augment_config("mnist5k"), seed=0), temperature=0.5
    )
    history = fit(
        model,
        loss_fn,
        make_loader(x, batch_size=32, seed=0),
        torch.optim.Adam(model.parameters(), lr=3e-3),
        epochs=15,
        seed=0,
        progress=False,
    )
    assert history.losses[0] == pytest.approx(
        torch.log(torch.tensor(63.0)).item(), abs=0.3
    )  # ≈ log(2N − 1) at the start
    assert history.epoch_losses[-1] < history.epoch_losses[0] - 0.3
