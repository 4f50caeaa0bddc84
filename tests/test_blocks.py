import pytest
import torch

from sslbook.blocks import mlp_head, transformer_encoder


def test_mlp_head_layers_and_sizes():
    torch.manual_seed(0)
    head = mlp_head(6, 5, 3)
    assert [type(m).__name__ for m in head] == ["Linear", "ReLU", "Linear"]
    assert (head[0].in_features, head[0].out_features) == (6, 5)
    assert (head[2].in_features, head[2].out_features) == (5, 3)
    with_norm = mlp_head(6, 5, 3, batchnorm=True)
    assert [type(m).__name__ for m in with_norm] == [
        "Linear",
        "BatchNorm1d",
        "ReLU",
        "Linear",
    ]
    assert with_norm[1].num_features == 5
    # a ReLU between the two layers: a negative pre-activation gives 0
    x = torch.randn(7, 6)
    hidden = torch.relu(head[0](x))
    assert torch.allclose(head(x), head[2](hidden))


@pytest.mark.parametrize("sizes", [(0, 4, 4), (4, 0, 4), (4, 4, 0)])
def test_mlp_head_refuses_a_size_below_one(sizes):
    with pytest.raises(ValueError, match="must be an int >= 1"):
        mlp_head(*sizes)


def test_transformer_encoder_is_pre_norm_blocks_without_dropout():
    torch.manual_seed(0)
    blocks = transformer_encoder(dim=8, depth=3, heads=2)
    assert len(blocks.layers) == 3
    layer = blocks.layers[0]
    assert layer.norm_first and layer.linear1.out_features == 16
    assert layer.self_attn.num_heads == 2
    x = torch.randn(4, 5, 8)  # (batch, tokens, dim): batch first
    train_out = blocks.train()(x)
    assert train_out.shape == (4, 5, 8)
    assert torch.equal(train_out, blocks.eval()(x))  # no dropout
    layers = [p.data_ptr() for p in blocks.layers[0].parameters()]
    assert layers != [p.data_ptr() for p in blocks.layers[1].parameters()]
