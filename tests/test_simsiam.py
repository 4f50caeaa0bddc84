import pytest
import torch

from sslbook.augment import SimCLRAugment, augment_config
from sslbook.data import load_images
from sslbook.models import ConvEncoder
from sslbook.simsiam import Siamese, embedding_std, siamese_loss_fn
from sslbook.train import fit, make_loader


def test_embedding_std_of_known_configurations():
    assert embedding_std(torch.ones(10, 4)) == 0.0
    torch.manual_seed(0)
    assert embedding_std(torch.randn(20000, 16)) == pytest.approx(
        16**-0.5, rel=0.02
    )
    with pytest.raises(ValueError, match="n >= 2"):
        embedding_std(torch.ones(1, 4))


def train(predictor, stop_gradient, output_batchnorm=False):
    x = load_images("digits", seed=0).x_train[:256]
    torch.manual_seed(0)
    model = Siamese(
        ConvEncoder(1, 8, 16, widths=(8, 16), batchnorm=True),
        dim=16,
        predictor=predictor,
        output_batchnorm=output_batchnorm,
    )
    fit(
        model,
        siamese_loss_fn(
            SimCLRAugment(augment_config("digits"), seed=0),
            stop_gradient=stop_gradient,
        ),
        make_loader(x, batch_size=64, seed=0, drop_last=True),
        torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9),
        epochs=15,
        seed=0,
        progress=False,
    )
    model.eval()
    with torch.no_grad():
        return embedding_std(model(x)[0])


def test_naive_siamese_collapses_and_simsiam_does_not():
    collapsed, healthy = train(False, False), train(True, True)
    spread = (
        16**-0.5
    )  # embeddings spread evenly over the sphere in 16 dimensions
    assert collapsed < 0.02
    assert healthy > 0.4 * spread


def test_an_output_batchnorm_alone_prevents_the_complete_collapse():
    """Why Siamese leaves SimSiam's final BatchNorm off by default: with it the
    naive network does not collapse.
    """
    assert train(False, False, output_batchnorm=True) > 0.4 * 16**-0.5


def test_output_batchnorm_is_the_projectors_last_layer_and_dim_is_checked():
    encoder = ConvEncoder(1, 8, 16, widths=(4, 4))
    with_bn = Siamese(encoder, dim=8, output_batchnorm=True)
    last = with_bn.projector[-1]
    assert isinstance(last, torch.nn.BatchNorm1d) and not last.affine
    assert isinstance(Siamese(encoder, dim=8).projector[-1], torch.nn.Linear)
    with pytest.raises(ValueError, match="dim must be an int >= 2"):
        Siamese(encoder, dim=1)


def test_stop_gradient_keeps_one_side_of_each_term():
    """Without a predictor, each term then sends gradient through one branch
    only: half the full gradient.
    """
    x = torch.rand(4, 1, 8, 8)

    def gradients(stop_gradient):
        torch.manual_seed(0)
        model = Siamese(
            ConvEncoder(1, 8, 8, widths=(4, 4)), dim=8, predictor=False
        )
        loss = siamese_loss_fn(
            SimCLRAugment(augment_config("digits"), seed=0),
            stop_gradient=stop_gradient,
        )(model, (x,))
        loss.backward()
        return torch.cat(
            [
                p.grad.flatten()
                for p in model.parameters()
                if p.grad is not None
            ]
        )

    assert torch.allclose(gradients(True), 0.5 * gradients(False), atol=1e-6)


# --- added by mutation testing -----------------------------------------------


def test_dim_must_be_an_int_and_embedding_std_wants_a_matrix():
    with pytest.raises(ValueError, match="dim must be an int >= 2"):
        Siamese(ConvEncoder(1, 8, 16, widths=(4, 4)), dim=8.0)
    with pytest.raises(ValueError, match="z must be \\(n, dim\\)"):
        embedding_std(torch.ones(10))
