"""Networks used across the book.

:class:`DeepMLP` is the deep fully connected classifier of the vanishing-gradient
experiments (chapters 1, 2 and 6): its activation, initialisation, BatchNorm
and residual connections are switches, so that one class covers every setting.

Example
-------
>>> import torch
>>> from sslbook.models import DeepMLP, MLPConfig
>>> net = DeepMLP(MLPConfig(in_features=64, hidden=32, depth=4, activation="relu", init="he"))
>>> net(torch.zeros(5, 1, 8, 8)).shape
torch.Size([5, 10])
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

#: Activation functions by name.
ACTIVATIONS = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU}
#: Weight initialisations by name (see :class:`MLPConfig`).
INITS = ("default", "normal", "glorot", "he")


@dataclass(frozen=True)
class MLPConfig:
    """The shape and switches of a :class:`DeepMLP`.

    Attributes:
        in_features: the size of a flattened input (784 for 28×28 images).
        hidden: the width of every hidden layer.
        depth: the number of hidden layers (each Linear, optional BatchNorm,
            activation); the network has ``depth + 1`` weight matrices.
        out_features: the number of classes.
        activation: a key of :data:`ACTIVATIONS`.
        init: ``"default"`` keeps PyTorch's default (uniform, bound
            1/sqrt(fan_in)); ``"normal"`` draws N(0, ``init_std``²), the naive
            choice; ``"glorot"`` is Glorot & Bengio (2010)'s normal
            initialisation, variance 2/(fan_in + fan_out); ``"he"`` is
            He et al. (2015)'s, variance 2/fan_in. Biases start at zero except
            under ``"default"``.
        init_std: the standard deviation for ``init="normal"``.
        batchnorm: add BatchNorm1d between each hidden Linear and its activation.
        residual: add the input of each hidden layer after the first to its
            output (h ← h + f(h)), as in ResNets.
    """

    in_features: int = 784
    hidden: int = 128
    depth: int = 10
    out_features: int = 10
    activation: str = "sigmoid"
    init: str = "default"
    init_std: float = 1.0
    batchnorm: bool = False
    residual: bool = False

    def __post_init__(self) -> None:
        for field in ("in_features", "hidden", "depth", "out_features"):
            value = getattr(self, field)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{field} must be a positive int, got {value!r}")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {self.activation!r}; known: {', '.join(ACTIVATIONS)}")
        if self.init not in INITS:
            raise ValueError(f"unknown init {self.init!r}; known: {', '.join(INITS)}")
        if not self.init_std > 0:
            raise ValueError(f"init_std must be > 0, got {self.init_std!r}")


class DeepMLP(nn.Module):
    """A deep fully connected classifier: ``depth`` hidden layers and a linear head.

    Shapes: input ``(batch, ...)`` with ``prod(...) == in_features`` (images are
    flattened), output ``(batch, out_features)`` logits.
    """

    def __init__(self, config: MLPConfig) -> None:
        super().__init__()
        self.config = config
        widths = [config.in_features] + [config.hidden] * config.depth
        self.blocks = nn.ModuleList()
        for fan_in, fan_out in zip(widths[:-1], widths[1:]):
            layers: list[nn.Module] = [nn.Linear(fan_in, fan_out)]
            if config.batchnorm:
                layers.append(nn.BatchNorm1d(fan_out))
            layers.append(ACTIVATIONS[config.activation]())
            self.blocks.append(nn.Sequential(*layers))
        self.head = nn.Linear(config.hidden, config.out_features)
        self._initialise()

    def _initialise(self) -> None:
        init, std = self.config.init, self.config.init_std
        if init == "default":
            return
        for module in self.modules():
            if isinstance(module, nn.Linear):
                if init == "normal":
                    nn.init.normal_(module.weight, mean=0.0, std=std)
                elif init == "glorot":
                    nn.init.xavier_normal_(module.weight)
                else:
                    nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
                nn.init.zeros_(module.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x.flatten(1)
        if h.shape[1] != self.config.in_features:
            raise ValueError(
                f"input has {h.shape[1]} features per sample once flattened, "
                f"but the model expects in_features={self.config.in_features}"
            )
        for i, block in enumerate(self.blocks):
            out = block(h)
            # The first block changes the width, so it cannot be residual.
            h = h + out if self.config.residual and i > 0 else out
        return self.head(h)
