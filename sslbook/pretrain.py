"""Greedy layer-wise unsupervised pre-training of a deep MLP (Bengio et al.
2007).

Before ReLU, careful initialisation, normalisation and residual connections,
deep sigmoid networks were made trainable by pre-training them one layer at a
time, without labels (Hinton et al. 2006; Bengio et al. 2007). Each hidden
layer in turn is trained as the encoder of a one-layer autoencoder on the
outputs of the layers below it, which stay fixed; then the whole network is
fine-tuned with labels. This is the real historical link between
self-supervised learning and vanishing gradients, and chapter 6 measures it.

Example
-------
>>> import torch
>>> from sslbook.models import DeepMLP, MLPConfig
>>> from sslbook.pretrain import greedy_layerwise_pretrain
>>> net = DeepMLP(MLPConfig(in_features=16, hidden=8, depth=3))
>>> losses = greedy_layerwise_pretrain(
...     net, torch.rand(64, 16), epochs_per_layer=1, seed=0
... )
>>> len(losses)
3
"""

from __future__ import annotations

import torch
from torch import nn

from sslbook.models import DeepMLP, eval_mode
from sslbook.train import fit, make_loader

__all__ = ["greedy_layerwise_pretrain"]


def greedy_layerwise_pretrain(
    model: DeepMLP,
    x: torch.Tensor,
    *,
    epochs_per_layer: int = 2,
    lr: float = 1e-3,
    batch_size: int = 128,
    seed: int = 0,
) -> list[float]:
    """Pre-train each hidden block of ``model`` as a one-layer autoencoder, in
    place.

    Block ``l`` (Linear, then the activation) is the encoder; a new linear
    decoder followed by a sigmoid reconstructs the block's input, which for
    ``l > 1`` is the output of the already pre-trained blocks below, in (0, 1)
    for a sigmoid network as the pixels are. Only block ``l`` and its decoder
    are trained (Adam, mean squared error); the decoders are then discarded.
    The classification head is left as it is.

    Args:
        model: a :class:`~sslbook.models.DeepMLP` without BatchNorm or
            residual connections (the 2006–2007 setting).
        x: ``(n, ...)`` unlabelled inputs, flattened to ``in_features``.
        epochs_per_layer: passes over ``x`` for each block.
        lr: Adam's learning rate.
        batch_size: examples per step.
        seed: seeds the decoders' initialisation and the batch order.

    Returns:
        the mean reconstruction loss of the last epoch of each block, bottom
        first.

    Raises:
        TypeError: if ``model`` is not a ``DeepMLP``.
        ValueError: if it uses BatchNorm or residual connections, or ``x`` has
            the wrong number of features.
    """
    if not isinstance(model, DeepMLP):
        raise TypeError(
            "model must be an sslbook.models.DeepMLP, "
            f"got {type(model).__name__}"
        )
    if model.config.batchnorm or model.config.residual:
        raise ValueError(
            "greedy layer-wise pre-training is defined here for plain MLPs: "
            "batchnorm and residual must be False"
        )
    h = x.flatten(1)
    if h.shape[1] != model.config.in_features:
        raise ValueError(
            f"x has {h.shape[1]} features per example, "
            f"the model expects {model.config.in_features}"
        )
    losses = []
    for index, block in enumerate(model.blocks):
        torch.manual_seed(seed + index)
        decoder = nn.Sequential(
            nn.Linear(block[0].out_features, h.shape[1]), nn.Sigmoid()
        )
        autoencoder = nn.Sequential(block, decoder)
        history = fit(
            autoencoder,
            lambda m, batch: nn.functional.mse_loss(m(batch[0]), batch[0]),
            make_loader(h, batch_size=batch_size, seed=seed + index),
            torch.optim.Adam(autoencoder.parameters(), lr=lr),
            epochs=epochs_per_layer,
            seed=seed + index,
            description=f"pre-training layer {index + 1}",
        )
        losses.append(history.epoch_losses[-1])
        with eval_mode(block), torch.no_grad():
            h = block(
                h
            )  # the next block's input, from the frozen, pre-trained block
    return losses
