"""Masked autoencoders (He et al. 2022): hide most of an image, predict the
hidden patches.

The image is cut into square patches. A random ``mask_ratio`` of them, drawn
independently for every image, is removed; a small Transformer *encoder* sees
only the visible patches (which makes it cheap: with 75 % masked it processes a
quarter of the tokens). A lighter *decoder* receives the encoded visible
patches plus a shared, learned *mask token* at each hidden position, and
predicts the hidden patches' pixels. The loss is the mean squared error on
the masked patches only: reconstructing what the encoder saw would teach
nothing.

After pre-training the decoder is discarded. :class:`MAEEncoder` embeds a whole
image, with no patch masked, and averages its patch tokens into one vector,
which a linear probe or a fine-tuned head then uses.

Departures from the paper, to keep the model small: learned position
embeddings instead of fixed sine-cosine ones, no final LayerNorm in the
decoder, and raw pixels as targets rather than pixels normalised per patch.

Shapes, for images ``(B, C, H, W)`` with ``H = W = side`` and patches of
``p × p``: ``L = (side / p)²`` patches of ``C·p²`` numbers each.

Example
-------
>>> import torch
>>> from sslbook.mae import MAE, patchify
>>> patchify(torch.rand(2, 1, 28, 28), patch=7).shape
torch.Size([2, 16, 49])
>>> mae = MAE(image_size=28, patch=7, dim=32, depth=1, heads=2, decoder_dim=16)
>>> loss, prediction, mask = mae(torch.rand(2, 1, 28, 28))
>>> # 12 of the 16 patches hidden in each image
>>> prediction.shape, mask.sum(dim=1).tolist()
(torch.Size([2, 16, 49]), [12, 12])
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from sslbook.blocks import transformer_encoder
from sslbook.checks import check_int, check_real

__all__ = [
    "patchify",
    "unpatchify",
    "random_masking",
    "MAEEncoder",
    "MAE",
    "mae_loss_fn",
]


def patchify(images: torch.Tensor, patch: int) -> torch.Tensor:
    """``(B, C, H, W)`` images → ``(B, L, C·patch²)`` patches, row by row.

    Raises:
        ValueError: if ``images`` is not 4-D or ``H`` or ``W`` is not a
            multiple of ``patch``.
    """
    check_int("patch", patch)
    if images.dim() != 4 or images.shape[2] % patch or images.shape[3] % patch:
        raise ValueError(
            "images must be (B, C, H, W) "
            f"with H and W multiples of patch={patch}, "
            f"got {tuple(images.shape)}"
        )
    b, c, h, w = images.shape
    x = images.reshape(b, c, h // patch, patch, w // patch, patch)
    return x.permute(0, 2, 4, 1, 3, 5).reshape(
        b, (h // patch) * (w // patch), c * patch * patch
    )


def unpatchify(
    patches: torch.Tensor, patch: int, channels: int
) -> torch.Tensor:
    """The inverse of :func:`patchify` for square images:
    ``(B, L, C·patch²)`` → ``(B, C, H, W)``.

    Raises:
        ValueError: if ``L`` is not a square or the last size is not
            ``channels·patch²``.
    """
    b, length, size = patches.shape
    side = round(length**0.5)
    if side * side != length or size != channels * patch * patch:
        raise ValueError(
            f"patches must be (B, L, {channels * patch * patch}) "
            f"with L a square, got {tuple(patches.shape)}"
        )
    x = patches.reshape(b, side, side, channels, patch, patch)
    return x.permute(0, 3, 1, 4, 2, 5).reshape(
        b, channels, side * patch, side * patch
    )


def _hidden_count(mask_ratio: float, length: int) -> int:
    """How many of ``length`` patches ``mask_ratio`` hides; at least one
    stays visible.
    """
    check_real("mask_ratio", mask_ratio, "[0, 1)")
    hidden = round(mask_ratio * length)
    if hidden >= length:
        raise ValueError(f"mask_ratio={mask_ratio} hides all {length} patches")
    return hidden


def random_masking(
    batch: int,
    length: int,
    mask_ratio: float,
    generator: torch.Generator,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Choose, independently for each of ``batch`` images, which of
    ``length`` patches to hide.

    Exactly ``round(mask_ratio · length)`` patches are hidden in every image,
    a uniformly random subset (MAE's per-sample shuffle).

    Returns:
        ``(visible, mask)``: ``visible`` ``(batch, length − hidden)`` int64
        indices of the visible patches, in increasing order; ``mask``
        ``(batch, length)`` bool, ``True`` where a patch is hidden.

    Raises:
        ValueError: if ``mask_ratio`` is not in [0, 1) or would leave no
            visible patch.
    """
    hidden = _hidden_count(mask_ratio, length)
    noise = torch.rand(batch, length, generator=generator)
    order = noise.argsort(dim=1)  # a random permutation per image
    visible = order[:, : length - hidden].sort(dim=1).values
    mask = torch.ones(batch, length, dtype=torch.bool)
    mask.scatter_(1, visible, False)
    return visible, mask


class MAEEncoder(nn.Module):
    """The MAE encoder: patch embedding, learned position embedding,
    Transformer.

    Called on images it embeds *all* patches and returns the mean of their
    tokens, ``(B, dim)``: the representation for probes and fine-tuning.
    :meth:`tokens` embeds only the patches it is given.

    Attributes:
        out_dim: ``dim``, for heads built on top of it.
        input_shape: ``(channels, image_size, image_size)``.
    """

    def __init__(
        self,
        image_size: int,
        channels: int,
        patch: int,
        dim: int,
        depth: int,
        heads: int,
    ):
        super().__init__()
        for name, value in (
            ("image_size", image_size),
            ("channels", channels),
            ("patch", patch),
            ("dim", dim),
            ("depth", depth),
            ("heads", heads),
        ):
            check_int(name, value)
        if image_size % patch:
            raise ValueError(
                f"image_size={image_size} must be a multiple of patch={patch}"
            )
        if dim % heads:
            raise ValueError(f"dim={dim} must be a multiple of heads={heads}")
        self.patch, self.channels = patch, channels
        self.length = (image_size // patch) ** 2
        self.embed = nn.Linear(channels * patch * patch, dim)
        self.position = nn.Parameter(torch.randn(1, self.length, dim) * 0.02)
        self.blocks = transformer_encoder(dim, depth, heads)
        self.norm = nn.LayerNorm(dim)
        self.out_dim = dim
        self.input_shape = (channels, image_size, image_size)

    def tokens(
        self, patches: torch.Tensor, visible: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Encode ``patches`` ``(B, L, C·p²)``, keeping only the ``visible``
        ``(B, n)`` indices if given.
        """
        x = self.embed(patches) + self.position
        if visible is not None:
            x = torch.gather(
                x, 1, visible.unsqueeze(-1).expand(-1, -1, x.shape[-1])
            )
        return self.norm(self.blocks(x))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        if tuple(images.shape[1:]) != self.input_shape:
            raise ValueError(
                "expected images of shape "
                f"(B, {', '.join(map(str, self.input_shape))}), "
                f"got {tuple(images.shape)}"
            )
        return self.tokens(patchify(images, self.patch)).mean(dim=1)


class MAE(nn.Module):
    """A masked autoencoder for small square images.

    Args:
        image_size: the side of the images; a multiple of ``patch``.
        channels: colour channels.
        patch: the side of a square patch.
        dim, depth, heads: the encoder Transformer's width, layers and heads.
        decoder_dim, decoder_depth, decoder_heads: the decoder's.
        mask_ratio: the share of patches hidden, in [0, 1); MAE uses 0.75.
        seed: seeds the model's own generator for the masks (the global RNG
            is not used for masking).

    ``forward(images)`` returns ``(loss, prediction, mask)``: the mean squared
    error over the hidden patches, the decoder's ``(B, L, C·p²)`` prediction
    of every patch, and the ``(B, L)`` mask (``True`` = hidden).
    """

    def __init__(
        self,
        image_size: int = 28,
        channels: int = 1,
        patch: int = 4,
        dim: int = 64,
        depth: int = 2,
        heads: int = 4,
        decoder_dim: int = 32,
        decoder_depth: int = 1,
        decoder_heads: int = 2,
        mask_ratio: float = 0.75,
        seed: int = 0,
    ):
        super().__init__()
        self.encoder = MAEEncoder(
            image_size, channels, patch, dim, depth, heads
        )
        # the ratio is checked now, not at the first step
        _hidden_count(mask_ratio, self.encoder.length)
        if decoder_dim % decoder_heads:
            raise ValueError(
                f"decoder_dim={decoder_dim} must be a multiple of "
                f"decoder_heads={decoder_heads}"
            )
        self.mask_ratio = mask_ratio
        self.to_decoder = nn.Linear(dim, decoder_dim)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, decoder_dim))
        self.decoder_position = nn.Parameter(
            torch.randn(1, self.encoder.length, decoder_dim) * 0.02
        )
        self.decoder = transformer_encoder(
            decoder_dim, decoder_depth, decoder_heads
        )
        self.to_pixels = nn.Linear(decoder_dim, channels * patch * patch)
        self.generator = torch.Generator().manual_seed(seed)

    def forward(
        self, images: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        if tuple(images.shape[1:]) != self.encoder.input_shape:
            shape = ", ".join(map(str, self.encoder.input_shape))
            raise ValueError(
                f"expected images of shape (B, {shape}), "
                f"got {tuple(images.shape)}"
            )
        patches = patchify(images, self.encoder.patch)  # (B, L, C p²)
        b, length, _ = patches.shape
        visible, mask = random_masking(
            b, length, self.mask_ratio, self.generator
        )
        visible, mask = visible.to(images.device), mask.to(images.device)
        # encoder on the visible patches only: (B, n_visible, decoder_dim)
        encoded = self.to_decoder(self.encoder.tokens(patches, visible))
        # the decoder sees every position: a mask token where a patch is hidden
        tokens = self.mask_token.expand(b, length, -1).clone()
        where = visible.unsqueeze(-1).expand(-1, -1, tokens.shape[-1])
        tokens = tokens.scatter(1, where, encoded)
        decoded = self.decoder(tokens + self.decoder_position)
        prediction = self.to_pixels(decoded)  # (B, L, C p²)
        error = ((prediction - patches) ** 2).mean(dim=-1)  # (B, L)
        loss = (error * mask).sum() / mask.sum()  # hidden patches only
        return loss, prediction, mask


def mae_loss_fn() -> Callable[[MAE, tuple], torch.Tensor]:
    """The ``loss_fn(mae, batch)`` for :func:`sslbook.train.fit`: the
    masked-patch error; labels are ignored.
    """

    def loss_fn(mae: MAE, batch: tuple) -> torch.Tensor:
        return mae(batch[0])[0]

    return loss_fn
