import pytest
import torch

from sslbook.augment import AugmentConfig, SimCLRAugment, augment_config


@pytest.mark.parametrize("dataset, shape", [("mnist5k", (6, 1, 28, 28)), ("cifar10", (6, 3, 32, 32))])
def test_views_keep_shape_dtype_and_range_and_differ(dataset, shape):
    torch.manual_seed(0)
    x = torch.rand(shape)
    augment = SimCLRAugment(augment_config(dataset), seed=0)
    v1, v2 = augment(x), augment(x)
    assert v1.shape == x.shape and v1.dtype == x.dtype
    assert v1.min() >= 0 and v1.max() <= 1
    assert not torch.equal(v1, v2)  # two calls, two different views
    assert not torch.equal(v1[0], v1[1] if torch.equal(x[0], x[1]) else x[0])


def test_same_seed_same_views_and_global_rng_untouched():
    x = torch.rand(5, 3, 32, 32)
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    a = SimCLRAugment(augment_config("cifar10"), seed=7)(x)
    assert torch.equal(torch.random.get_rng_state(), before)
    assert torch.equal(a, SimCLRAugment(augment_config("cifar10"), seed=7)(x))
    assert not torch.equal(a, SimCLRAugment(augment_config("cifar10"), seed=8)(x))


def test_parameters_differ_per_image():
    x = torch.rand(1, 1, 28, 28).repeat(8, 1, 1, 1)  # eight copies of one image
    views = SimCLRAugment(augment_config("mnist5k"), seed=0)(x)
    assert len({tuple(v.flatten()[:50].tolist()) for v in views}) == 8


def test_identity_settings_give_back_the_image():
    config = AugmentConfig(crop_scale=(1.0, 1.0), crop_ratio=(1.0, 1.0), flip_p=0, jitter_p=0, grayscale_p=0, blur_p=0)
    x = torch.rand(3, 3, 16, 16)
    assert torch.allclose(SimCLRAugment(config, seed=0)(x), x, atol=1e-5)


def test_flip_always_mirrors():
    config = AugmentConfig(crop_scale=(1.0, 1.0), crop_ratio=(1.0, 1.0), flip_p=1, jitter_p=0, grayscale_p=0, blur_p=0)
    x = torch.rand(2, 1, 8, 8)
    assert torch.allclose(SimCLRAugment(config, seed=0)(x), x.flip(-1), atol=1e-5)


def test_bad_settings_and_input_are_rejected():
    with pytest.raises(ValueError, match="crop_scale must satisfy"):
        AugmentConfig(crop_scale=(0.5, 1.5))
    with pytest.raises(ValueError, match="blur_p must be a probability"):
        AugmentConfig(blur_p=2)
    with pytest.raises(ValueError, match="unknown dataset 'imagenet'"):
        augment_config("imagenet")
    with pytest.raises(ValueError, match="images must be a float tensor"):
        SimCLRAugment(augment_config("mnist5k"), seed=0)(torch.zeros(2, 28, 28))
