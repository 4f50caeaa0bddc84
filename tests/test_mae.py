import pytest
import torch

from sslbook.mae import (
    MAE,
    MAEEncoder,
    mae_loss_fn,
    patchify,
    random_masking,
    unpatchify,
)


def small_mae(**kwargs):
    torch.manual_seed(0)
    settings = dict(
        image_size=8,
        channels=1,
        patch=2,
        dim=16,
        depth=1,
        heads=2,
        decoder_dim=8,
        decoder_heads=2,
    )
    settings.update(kwargs)
    return MAE(**settings)


def test_patchify_orders_patches_row_by_row_and_unpatchify_inverts_it():
    images = torch.arange(2 * 3 * 4 * 4, dtype=torch.float32).view(2, 3, 4, 4)
    patches = patchify(images, 2)
    assert patches.shape == (2, 4, 12)
    # the second patch is the top-right 2x2 block of each channel
    assert torch.equal(patches[0, 1].view(3, 2, 2), images[0, :, 0:2, 2:4])
    assert torch.equal(patches[1, 2].view(3, 2, 2), images[1, :, 2:4, 0:2])
    assert torch.equal(unpatchify(patches, 2, channels=3), images)


def test_patchify_and_unpatchify_check_shapes():
    with pytest.raises(ValueError, match="multiples of patch=3"):
        patchify(torch.rand(1, 1, 8, 8), 3)
    with pytest.raises(ValueError, match="L a square"):
        unpatchify(torch.rand(1, 3, 4), 2, channels=1)


def test_each_image_hides_exactly_its_share_of_patches_and_the_visible_indices_are_the_rest():  # noqa: E501
    visible, mask = random_masking(
        50, 16, 0.75, torch.Generator().manual_seed(0)
    )
    assert visible.shape == (50, 4) and mask.shape == (50, 16)
    assert mask.sum(dim=1).tolist() == [12] * 50
    for v, m in zip(visible, mask):
        assert sorted(v.tolist()) == v.tolist()
        assert set(v.tolist()) == set(torch.nonzero(~m).flatten().tolist())


def test_masking_is_uniform_over_positions_and_differs_between_images():
    _, mask = random_masking(8000, 16, 0.75, torch.Generator().manual_seed(1))
    assert mask.float().mean(dim=0).tolist() == pytest.approx(
        [0.75] * 16, abs=0.02
    )
    assert (
        len({tuple(m.tolist()) for m in mask[:100]}) > 95
    )  # per example, not one mask for the batch


def test_masking_is_seeded_and_checks_its_ratio():
    a = random_masking(4, 16, 0.5, torch.Generator().manual_seed(3))[1]
    assert torch.equal(
        a, random_masking(4, 16, 0.5, torch.Generator().manual_seed(3))[1]
    )
    with pytest.raises(ValueError, match=r"mask_ratio must be in \[0, 1\)"):
        random_masking(4, 16, 1.0, torch.Generator())
    with pytest.raises(ValueError, match="hides all 2 patches"):
        random_masking(4, 2, 0.8, torch.Generator())


def test_forward_shapes_and_the_mask_share():
    mae = small_mae(mask_ratio=0.75)
    loss, prediction, mask = mae(torch.rand(3, 1, 8, 8))
    assert (
        loss.dim() == 0
        and prediction.shape == (3, 16, 4)
        and mask.shape == (3, 16)
    )
    assert mask.sum(dim=1).tolist() == [12, 12, 12]


def test_the_loss_is_the_error_on_hidden_patches_only():
    mae = small_mae()
    images = torch.rand(2, 1, 8, 8)
    loss, prediction, mask = mae(images)
    target = patchify(images, 2)
    per_patch = ((prediction - target) ** 2).mean(dim=-1)
    assert loss.item() == pytest.approx(
        per_patch[mask].mean().item(), rel=1e-5
    )
    assert loss.item() != pytest.approx(per_patch.mean().item(), rel=1e-3)


def test_the_encoder_never_sees_the_hidden_patches():
    """Changing the pixels of hidden patches leaves the loss's visible-side
    computation, and so the predictions, unchanged: only the targets of hidden
    patches change.
    """
    images = torch.rand(2, 1, 8, 8)
    mae = small_mae()
    state = mae.generator.get_state()
    _, prediction, mask = mae(images)
    patches = patchify(images, 2)
    changed = torch.where(
        mask.unsqueeze(-1), torch.rand_like(patches), patches
    )
    mae.generator.set_state(state)  # the same masks again
    _, prediction_changed, mask_again = mae(unpatchify(changed, 2, channels=1))
    assert torch.equal(mask, mask_again)
    assert torch.allclose(prediction, prediction_changed)


def test_the_mae_encoder_embeds_the_whole_image_and_checks_its_input():
    mae = small_mae()
    features = mae.encoder(torch.rand(5, 1, 8, 8))
    assert features.shape == (5, 16) and mae.encoder.out_dim == 16
    assert mae.encoder.input_shape == (1, 8, 8)
    with pytest.raises(
        ValueError, match=r"expected images of shape \(B, 1, 8, 8\)"
    ):
        mae.encoder(torch.rand(5, 1, 6, 6))
    with pytest.raises(ValueError, match="multiple of patch=3"):
        MAEEncoder(8, 1, 3, 16, 1, 2)
    with pytest.raises(ValueError, match="multiple of heads=3"):
        MAEEncoder(8, 1, 2, 16, 1, 3)
    with pytest.raises(ValueError, match=r"mask_ratio must be in \[0, 1\)"):
        small_mae(mask_ratio=1.2)


def test_the_representation_is_the_mean_of_the_patch_tokens():
    mae = small_mae().eval()
    images = torch.rand(3, 1, 8, 8)
    with torch.no_grad():
        tokens = mae.encoder.tokens(patchify(images, 2))
        assert tokens.shape == (3, 16, 16)
        assert torch.allclose(mae.encoder(images), tokens.mean(dim=1))
        assert not torch.allclose(mae.encoder(images), tokens[:, 0])


def test_masking_uses_the_models_generator_not_the_global_one():
    mae, images = small_mae(), torch.rand(2, 1, 8, 8)
    before = torch.get_rng_state()
    mae(images)
    assert torch.equal(before, torch.get_rng_state())
    a, b = small_mae(seed=1), small_mae(seed=1)
    assert torch.equal(a(images)[2], b(images)[2])
    assert not torch.equal(
        small_mae(seed=2)(torch.ones(4, 1, 8, 8))[2],
        small_mae(seed=3)(torch.ones(4, 1, 8, 8))[2],
    )


def test_training_lowers_the_masked_error():
    torch.manual_seed(0)
    images = torch.rand(64, 1, 1, 1).expand(
        64, 1, 8, 8
    )  # flat images: hidden patches follow from visible ones
    mae = small_mae(mask_ratio=0.5)
    loss_fn = mae_loss_fn()
    optimizer = torch.optim.Adam(mae.parameters(), lr=3e-3)
    first = loss_fn(mae, (images,)).item()
    for _ in range(150):
        optimizer.zero_grad()
        loss = loss_fn(mae, (images, torch.zeros(64)))
        loss.backward()
        optimizer.step()
    assert loss.item() < 0.5 * first
