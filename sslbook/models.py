"""Networks used across the book.

- :class:`DeepMLP` is the deep fully connected classifier of the
  vanishing-gradient experiments (chapters 1, 2 and 6): its activation,
  initialisation, BatchNorm and residual connections are switches, so that one
  class covers every setting.
- :class:`ConvEncoder`, :class:`ConvDecoder` and :class:`ConvAutoencoder` are
  the image models of chapters 3 and 4: the same small encoder serves the
  autoencoder and, with BatchNorm, the contrastive model.
- :func:`encode` turns a dataset into frozen features, and :func:`eval_mode`
  puts a network in eval mode for a block of code and restores its modes.

The blocks that several models share are in :mod:`sslbook.blocks`;
:func:`sslbook.shapes.shape_trace` tabulates the output shape of every layer.

Example
-------
>>> import torch
>>> from sslbook.models import DeepMLP, MLPConfig
>>> net = DeepMLP(
...     MLPConfig(
...         in_features=64, hidden=32, depth=4, activation="relu", init="he"
...     )
... )
>>> net(torch.zeros(5, 1, 8, 8)).shape
torch.Size([5, 10])
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

import torch
from torch import nn

from sslbook.checks import check_int, check_real

__all__ = [
    "ACTIVATIONS",
    "INITS",
    "MLPConfig",
    "DeepMLP",
    "ConvEncoder",
    "ConvDecoder",
    "ConvAutoencoder",
    "reconstruction_loss",
    "encode",
    "eval_mode",
]

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
        batchnorm: add BatchNorm1d between each hidden Linear and its
            activation.
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
            check_int(field, getattr(self, field))
        if self.activation not in ACTIVATIONS:
            raise ValueError(
                f"unknown activation {self.activation!r}; "
                f"known: {', '.join(ACTIVATIONS)}"
            )
        if self.init not in INITS:
            raise ValueError(
                f"unknown init {self.init!r}; known: {', '.join(INITS)}"
            )
        check_real("init_std", self.init_std, "(0, inf)")


class DeepMLP(nn.Module):
    """A deep fully connected classifier: ``depth`` hidden layers and a linear
    head.

    Shapes: input ``(batch, ...)`` with ``prod(...) == in_features`` (images
    are flattened), output ``(batch, out_features)`` logits.
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


class ConvEncoder(nn.Module):
    """A small convolutional encoder: two stride-2 convolutions and a linear
    layer.

    ``(batch, in_channels, size, size)`` → ``(batch, out_dim)``. Each
    convolution (3×3, stride 2, padding 1) halves the side, so 28×28 becomes
    7×7 and 32×32 becomes 8×8 before the linear layer.

    Args:
        in_channels: 1 for MNIST, 3 for CIFAR-10.
        image_size: the side of the square input; a multiple of 4.
        out_dim: the size of the output vector (an autoencoder's latent size).
        widths: the channels of the two convolutions.
        batchnorm: add BatchNorm2d after each convolution (used by SimCLR).

    Raises:
        ValueError: for sizes < 1, an ``image_size`` that is not a multiple of
            4, or, in ``forward``, an input of another shape.
    """

    def __init__(
        self,
        in_channels: int,
        image_size: int,
        out_dim: int,
        widths: tuple[int, int] = (32, 64),
        batchnorm: bool = False,
    ):
        super().__init__()
        for name, value in (
            ("in_channels", in_channels),
            ("image_size", image_size),
            ("out_dim", out_dim),
            *(("widths", w) for w in widths),
        ):
            check_int(name, value)
        if image_size % 4:
            raise ValueError(
                "image_size must be a multiple of 4 "
                f"(two stride-2 convolutions), got {image_size}"
            )
        self.input_shape = (in_channels, image_size, image_size)
        layers: list[nn.Module] = []
        channels = in_channels
        for width in widths:
            layers.append(
                nn.Conv2d(channels, width, kernel_size=3, stride=2, padding=1)
            )
            if batchnorm:
                layers.append(nn.BatchNorm2d(width))
            layers.append(nn.ReLU())
            channels = width
        self.features = nn.Sequential(*layers, nn.Flatten())
        self.fc = nn.Linear(channels * (image_size // 4) ** 2, out_dim)
        self.out_dim = out_dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_input(x, self.input_shape)
        return self.fc(self.features(x))


def _check_input(x: torch.Tensor, expected: tuple[int, int, int]) -> None:
    if x.dim() != 4 or tuple(x.shape[1:]) != expected:
        raise ValueError(
            "expected input of shape "
            f"(batch, {', '.join(map(str, expected))}), got {tuple(x.shape)}"
        )


class ConvDecoder(nn.Module):
    """The mirror of :class:`ConvEncoder`: ``(batch, latent_dim)`` →
    ``(batch, C, size, size)`` in [0, 1].

    A linear layer makes a ``(64, size/4, size/4)`` feature map, and two
    transposed convolutions (3×3, stride 2, padding 1, output padding 1)
    double its side twice. A sigmoid keeps the output in the pixels' range.
    """

    def __init__(
        self,
        out_channels: int,
        image_size: int,
        latent_dim: int,
        widths: tuple[int, int] = (64, 32),
    ):
        super().__init__()
        for name, value in (
            ("out_channels", out_channels),
            ("image_size", image_size),
            ("latent_dim", latent_dim),
        ):
            check_int(name, value)
        if image_size % 4:
            raise ValueError(
                f"image_size must be a multiple of 4, got {image_size}"
            )
        side = image_size // 4
        self.fc = nn.Sequential(
            nn.Linear(latent_dim, widths[0] * side * side),
            nn.ReLU(),
            nn.Unflatten(1, (widths[0], side, side)),
        )
        self.deconv = nn.Sequential(
            nn.ConvTranspose2d(
                widths[0],
                widths[1],
                kernel_size=3,
                stride=2,
                padding=1,
                output_padding=1,
            ),
            nn.ReLU(),
            nn.ConvTranspose2d(
                widths[1],
                out_channels,
                kernel_size=3,
                stride=2,
                padding=1,
                output_padding=1,
            ),
            nn.Sigmoid(),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.deconv(self.fc(z))


class ConvAutoencoder(nn.Module):
    """A convolutional autoencoder: ``z = encoder(x)``, ``x̂ = decoder(z)``.

    Args:
        in_channels: 1 for 1×28×28 MNIST, 3 for 3×32×32 CIFAR-10.
        image_size: 28 or 32 (any multiple of 4 works).
        latent_dim: the size of the code ``z``, at least 1.

    Shapes: ``forward`` maps ``(batch, C, size, size)`` to the same shape;
    ``encode`` maps it to ``(batch, latent_dim)``.

    Example
    -------
    >>> ae = ConvAutoencoder(in_channels=3, image_size=32, latent_dim=16)
    >>> (
    ...     ae(torch.rand(2, 3, 32, 32)).shape,
    ...     ae.encode(torch.rand(2, 3, 32, 32)).shape,
    ... )
    (torch.Size([2, 3, 32, 32]), torch.Size([2, 16]))
    """

    def __init__(
        self, in_channels: int = 1, image_size: int = 28, latent_dim: int = 16
    ):
        super().__init__()
        check_int("latent_dim", latent_dim)
        self.encoder = ConvEncoder(in_channels, image_size, latent_dim)
        self.decoder = ConvDecoder(in_channels, image_size, latent_dim)
        self.latent_dim = latent_dim

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(x))


def reconstruction_loss(
    model: nn.Module, batch: tuple[torch.Tensor, ...]
) -> torch.Tensor:
    """Mean squared error between ``model(x)`` and ``x``: the ``loss_fn`` of an
    autoencoder for ``sslbook.train.fit``.

    ``batch`` is ``(x,)`` or ``(x, y)``; labels, if any, are ignored.
    """
    x = batch[0]
    return nn.functional.mse_loss(model(x), x)


@contextlib.contextmanager
def eval_mode(model: nn.Module) -> Iterator[nn.Module]:
    """Put ``model`` in eval mode for a ``with`` block, then restore its modes.

    Every submodule gets back its own mode, so a network that was partly in
    eval mode (a frozen BatchNorm, say) is restored as it was, even when the
    block raises.

    >>> net = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2)).train()
    >>> _ = net[1].eval()  # a mixed state
    >>> with eval_mode(net):
    ...     net.training, net[0].training
    (False, False)
    >>> net.training, net[0].training, net[1].training
    (True, True, False)
    """
    modes = [(module, module.training) for module in model.modules()]
    try:
        model.eval()
        yield model
    finally:
        # parents before children (the order of modules()), each through its
        # own train(), so that a module that overrides it is restored its way
        for module, training in modes:
            module.train(training)


@torch.no_grad()
def encode(
    encoder: nn.Module, x: torch.Tensor, batch_size: int = 1000
) -> torch.Tensor:
    """``encoder(x)`` in eval mode, in batches: ``(n, ...)`` → ``(n, dim)``
    features, on the CPU.

    The encoder's train/eval mode is restored afterwards.
    """
    with eval_mode(encoder):
        return torch.cat(
            [
                encoder(x[i : i + batch_size]).flatten(1).cpu()
                for i in range(0, len(x), batch_size)
            ]
        )
