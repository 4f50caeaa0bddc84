import dataclasses

import pytest
import torch
from torchvision.transforms.v2 import functional as TF

from sslbook.augment import (
    JITTER_OPS,
    AugmentConfig,
    SimCLRAugment,
    augment_config,
)
from sslbook.image_ops import gaussian_blur

IDENTITY = AugmentConfig(
    crop_scale=(1.0, 1.0),
    crop_ratio=(1.0, 1.0),
    flip_p=0,
    jitter_p=0,
    grayscale_p=0,
    blur_p=0,
)


def only(**changes) -> AugmentConfig:
    """The identity settings with some steps switched on."""
    return dataclasses.replace(IDENTITY, **changes)


@pytest.mark.parametrize(
    "dataset, shape",
    [("mnist5k", (6, 1, 28, 28)), ("cifar10", (6, 3, 32, 32))],
)
def test_views_are_crops_of_their_own_image(dataset, shape):
    """With colour off, each view is its own image's crop box resized: checked
    against torchvision's crop.
    """
    torch.manual_seed(0)
    coarse = torch.rand(shape[0], shape[1], 4, 4)
    x = torch.nn.functional.interpolate(
        coarse, size=shape[2:], mode="bicubic"
    ).clamp(0, 1)  # smooth images
    config = dataclasses.replace(
        augment_config(dataset), flip_p=0, jitter_p=0, grayscale_p=0, blur_p=0
    )
    augment = SimCLRAugment(config, seed=0)
    params = augment.sample(*shape[:1], *shape[2:])
    views = augment.apply(x, params)
    assert views.shape == x.shape and views.dtype == x.dtype
    for i, (x0, y0, x1, y1) in enumerate(params.boxes.tolist()):
        top, left = int(round(y0)), int(round(x0))
        height, width = int(round(y1 - y0)), int(round(x1 - x0))
        reference = TF.resized_crop(
            x[i], top, left, height, width, list(shape[2:]), antialias=False
        )
        # roi_align samples at sub-pixel box edges and torchvision at whole
        # pixels: close, not equal
        assert (views[i] - reference).abs().mean() < 0.05, i
        others = [j for j in range(len(x)) if j != i]
        assert all(
            (views[i] - reference).abs().mean()
            < (views[i] - views[j]).abs().mean()
            for j in others
        )


def test_views_stay_in_range_and_two_calls_differ():
    x = torch.rand(6, 3, 32, 32)
    augment = SimCLRAugment(augment_config("cifar10"), seed=0)
    v1, v2 = augment(x), augment(x)
    assert v1.min() >= 0 and v1.max() <= 1
    assert not torch.equal(v1, v2)


def test_same_seed_same_views_and_global_rng_untouched():
    x = torch.rand(5, 3, 32, 32)
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    a = SimCLRAugment(augment_config("cifar10"), seed=7)(x)
    assert torch.equal(torch.random.get_rng_state(), before)
    assert torch.equal(a, SimCLRAugment(augment_config("cifar10"), seed=7)(x))
    assert not torch.equal(
        a, SimCLRAugment(augment_config("cifar10"), seed=8)(x)
    )


def test_every_parameter_is_drawn_per_image():
    augment = SimCLRAugment(AugmentConfig(), seed=0)
    p = augment.sample(64, 32, 32)
    for name in ("boxes", "factors", "sigma"):
        values = getattr(p, name)
        assert len(torch.unique(values, dim=0)) == 64, name
    for name in ("flip", "jitter", "grayscale", "blur"):
        assert 0 < int(getattr(p, name).sum()) < 64, name
    assert len(torch.unique(p.order, dim=0)) > 10  # 24 possible orders
    assert torch.equal(
        p.order.sort(dim=1).values, torch.arange(4).expand(64, 4)
    )
    assert (p.factors[:, :3] >= 0.6).all() and (p.factors[:, :3] <= 1.4).all()
    assert (p.factors[:, 3].abs() <= 0.1).all()


def test_blur_sigma_differs_per_image_and_matches_torchvision():
    x = torch.rand(4, 3, 16, 16)
    sigma = torch.tensor([0.2, 0.8, 1.4, 2.0])
    blurred = gaussian_blur(x, sigma)
    for i in range(4):
        expected = TF.gaussian_blur(
            x[i], kernel_size=[3, 3], sigma=[float(sigma[i])] * 2
        )
        assert torch.allclose(blurred[i], expected, atol=1e-6)
    augment = SimCLRAugment(only(blur_p=1.0, blur_sigma=(0.1, 2.0)), seed=0)
    params = augment.sample(4, 16, 16)
    views = augment.apply(x, params)
    assert torch.allclose(views, gaussian_blur(x, params.sigma), atol=1e-5)
    with pytest.raises(ValueError, match="one per image"):
        gaussian_blur(x, sigma[:2])


def test_jitter_applies_each_images_factors_in_its_own_order():
    """Against torchvision's adjust_* functions, one image at a time, in that
    image's order.
    """
    x = torch.rand(12, 3, 8, 8)
    augment = SimCLRAugment(
        only(
            jitter_p=1.0, brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1
        ),
        seed=3,
    )
    params = augment.sample(12, 8, 8)
    views = augment.apply(x, params)
    functions = {
        "brightness": TF.adjust_brightness,
        "contrast": TF.adjust_contrast,
        "saturation": TF.adjust_saturation,
        "hue": TF.adjust_hue,
    }
    for i in range(12):
        expected = x[i]
        for op in params.order[i].tolist():
            expected = functions[JITTER_OPS[op]](
                expected, float(params.factors[i, op])
            )
        assert torch.allclose(views[i], expected, atol=1e-5), i
    assert len({tuple(o) for o in params.order.tolist()}) > 1


def test_grey_images_get_brightness_and_contrast_only():
    x = torch.rand(8, 1, 8, 8)
    augment = SimCLRAugment(only(jitter_p=1.0), seed=0)
    params = augment.sample(8, 8, 8)
    views = augment.apply(x, params)
    functions = {
        "brightness": TF.adjust_brightness,
        "contrast": TF.adjust_contrast,
    }
    for i in range(8):
        expected = x[i]
        for op in params.order[i].tolist():
            if JITTER_OPS[op] in functions:
                expected = functions[JITTER_OPS[op]](
                    expected, float(params.factors[i, op])
                )
        assert torch.allclose(views[i], expected, atol=1e-5)


def test_grayscale_and_flip_act_on_the_chosen_images_only():
    x = torch.rand(16, 3, 8, 8)
    augment = SimCLRAugment(only(grayscale_p=0.5, flip_p=0.5), seed=1)
    params = augment.sample(16, 8, 8)
    views = augment.apply(x, params)
    for i in range(16):
        expected = x[i].flip(-1) if params.flip[i] else x[i]
        if params.grayscale[i]:
            expected = TF.rgb_to_grayscale(expected, num_output_channels=3)
        assert torch.allclose(views[i], expected, atol=1e-5)


def test_identity_settings_give_back_the_image():
    x = torch.rand(3, 3, 16, 16)
    assert torch.allclose(SimCLRAugment(IDENTITY, seed=0)(x), x, atol=1e-5)


def test_the_crop_is_roi_aligns_bilinear_resize():
    """The affine grid_sample samples where torchvision's roi_align (aligned,
    one sample per bin) does.
    """
    from torchvision.ops import roi_align

    from sslbook.image_ops import resized_crop

    x = torch.rand(6, 3, 16, 16)
    augment = SimCLRAugment(AugmentConfig(crop_scale=(0.1, 1.0)), seed=0)
    boxes = augment.sample(6, 16, 16).boxes
    reference = roi_align(
        x,
        torch.cat([torch.arange(6.0)[:, None], boxes], dim=1),
        output_size=(16, 16),
        spatial_scale=1.0,
        sampling_ratio=1,
        aligned=True,
    )
    assert torch.allclose(resized_crop(x, boxes), reference, atol=1e-5)


def test_low_precision_images_get_the_float32_views():
    """Everything is computed in float32: a bfloat16 batch gets the float32
    views, rounded once at the end.
    """
    x = torch.rand(300, 3, 32, 32)
    augment = SimCLRAugment(augment_config("cifar10"), seed=0)
    params = augment.sample(300, 32, 32)
    low = augment.apply(x.bfloat16(), params)
    assert low.dtype == torch.bfloat16
    full = augment.apply(x.bfloat16().float(), params)
    assert torch.equal(low, full.bfloat16())


def test_bad_settings_and_input_are_rejected():
    with pytest.raises(ValueError, match="crop_scale must satisfy"):
        AugmentConfig(crop_scale=(0.5, 1.5))
    with pytest.raises(
        ValueError, match=r"blur_p must be in \[0, 1\] \(a probability\)"
    ):
        AugmentConfig(blur_p=2)
    with pytest.raises(ValueError, match=r"brightness must be in \[0, 1\]"):
        AugmentConfig(brightness=1.5)
    with pytest.raises(ValueError, match=r"saturation must be in \[0, 1\]"):
        AugmentConfig(saturation=-0.1)
    with pytest.raises(ValueError, match=r"hue must be in \[0, 0.5\]"):
        AugmentConfig(hue=0.6)
    with pytest.raises(ValueError, match="unknown dataset 'imagenet'"):
        augment_config("imagenet")
    augment = SimCLRAugment(augment_config("mnist5k"), seed=0)
    with pytest.raises(ValueError, match="images must be a float tensor"):
        augment(torch.zeros(2, 28, 28))
    with pytest.raises(
        ValueError, match=r"values in \[0, 1\], got values from 0 to 255"
    ):
        augment(torch.tensor([0.0, 255.0]).repeat(8).view(1, 1, 4, 4))
    assert SimCLRAugment(augment_config("mnist5k"), seed=0, check_range=False)(
        torch.full((1, 1, 4, 4), 2.0)
    ).shape == (1, 1, 4, 4)


# --- added by mutation testing -----------------------------------------------


def test_crop_boxes_fit_non_square_images_and_follow_roi_align():
    from torchvision.ops import roi_align

    from sslbook.image_ops import resized_crop

    augment = SimCLRAugment(AugmentConfig(crop_scale=(0.1, 1.0)), seed=0)
    boxes = augment.sample(200, 12, 20).boxes  # height 12, width 20
    x0, y0, x1, y1 = boxes.unbind(dim=1)
    assert (
        (x0 >= 0).all()
        and (y0 >= 0).all()
        and (x1 <= 20 + 1e-4).all()
        and (y1 <= 12 + 1e-4).all()
    )
    assert (
        x1 - x0
    ).max() > 14  # some boxes are much wider than the image is high
    x = torch.rand(6, 3, 12, 20)
    reference = roi_align(
        x,
        torch.cat([torch.arange(6.0)[:, None], boxes[:6]], dim=1),
        output_size=(12, 20),
        spatial_scale=1.0,
        sampling_ratio=1,
        aligned=True,
    )
    assert torch.allclose(resized_crop(x, boxes[:6]), reference, atol=1e-5)


def test_sampled_ratios_and_factors_cover_their_whole_ranges():
    config = AugmentConfig(
        crop_scale=(0.05, 0.1), crop_ratio=(0.5, 2.0)
    )  # small crops: no clamping to the image
    p = SimCLRAugment(config, seed=0).sample(500, 100, 100)
    ratio = (p.boxes[:, 2] - p.boxes[:, 0]) / (p.boxes[:, 3] - p.boxes[:, 1])
    assert ratio.min() >= 0.5 - 1e-4 and ratio.max() <= 2.0 + 1e-4
    assert ratio.min() < 0.6 and ratio.max() > 1.7
    assert (ratio < 1).float().mean() == pytest.approx(
        0.5, abs=0.1
    )  # log-uniform: as many tall as wide
    factors = p.factors[:, :3]
    assert (
        factors.min() < 0.65 and factors.max() > 1.35
    )  # [1 - 0.4, 1 + 0.4], both sides
    assert (factors < 1).float().mean() == pytest.approx(0.5, abs=0.1)
    assert p.factors[:, 3].min() < -0.09 and p.factors[:, 3].max() > 0.09


def test_jitter_and_blur_act_on_the_chosen_images_with_their_own_parameters():
    x = torch.rand(16, 3, 8, 8)
    augment = SimCLRAugment(only(jitter_p=0.5, blur_p=0.5), seed=2)
    params = augment.sample(16, 8, 8)
    assert (
        0 < int(params.jitter.sum()) < 16 and 0 < int(params.blur.sum()) < 16
    )
    assert not torch.equal(
        params.blur.nonzero().squeeze(1), torch.arange(int(params.blur.sum()))
    )  # not a prefix
    views = augment.apply(x, params)
    functions = {
        "brightness": TF.adjust_brightness,
        "contrast": TF.adjust_contrast,
        "saturation": TF.adjust_saturation,
        "hue": TF.adjust_hue,
    }
    for i in range(16):
        expected = x[i]
        if params.jitter[i]:
            for op in params.order[i].tolist():
                expected = functions[JITTER_OPS[op]](
                    expected, float(params.factors[i, op])
                )
        if params.blur[i]:
            expected = gaussian_blur(expected[None], params.sigma[i : i + 1])[
                0
            ]
        assert torch.allclose(views[i], expected, atol=1e-5), i


def test_negative_values_are_refused_too():
    with pytest.raises(
        ValueError, match=r"values in \[0, 1\], got values from -0.5 to 0.5"
    ):
        SimCLRAugment(augment_config("mnist5k"), seed=0)(
            torch.tensor([-0.5, 0.5]).repeat(8).view(1, 1, 4, 4)
        )
