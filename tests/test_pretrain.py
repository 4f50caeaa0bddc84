import pytest
import torch

from sslbook.models import DeepMLP, MLPConfig
from sslbook.pretrain import greedy_layerwise_pretrain


def test_each_layer_learns_to_reconstruct_its_input_and_the_head_is_untouched():  # noqa: E501
    torch.manual_seed(0)
    x = torch.rand(8, 16).repeat(32, 1)  # 8 patterns, easy to reconstruct
    model = DeepMLP(MLPConfig(in_features=16, hidden=12, depth=3))
    head_before = model.head.weight.detach().clone()
    first_before = model.blocks[0][0].weight.detach().clone()
    short = greedy_layerwise_pretrain(
        DeepMLP(MLPConfig(in_features=16, hidden=12, depth=3)),
        x,
        epochs_per_layer=1,
        lr=1e-2,
        seed=0,
    )
    losses = greedy_layerwise_pretrain(
        model, x, epochs_per_layer=30, lr=1e-2, seed=0
    )
    assert len(losses) == 3
    assert (
        losses[0] < 0.5 * short[0]
    )  # more pre-training, better reconstruction
    assert torch.equal(model.head.weight, head_before)
    assert not torch.equal(model.blocks[0][0].weight, first_before)
    assert model.training


def test_rejects_models_it_does_not_define():
    x = torch.rand(4, 16)
    with pytest.raises(
        ValueError, match="batchnorm and residual must be False"
    ):
        greedy_layerwise_pretrain(
            DeepMLP(
                MLPConfig(in_features=16, hidden=8, depth=2, batchnorm=True)
            ),
            x,
        )
    with pytest.raises(
        ValueError, match="x has 15 features per example, the model expects 16"
    ):
        greedy_layerwise_pretrain(
            DeepMLP(MLPConfig(in_features=16, hidden=8, depth=2)),
            torch.rand(4, 15),
        )
    with pytest.raises(TypeError, match="must be an sslbook.models.DeepMLP"):
        greedy_layerwise_pretrain(torch.nn.Linear(16, 2), x)
