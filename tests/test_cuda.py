"""What only a GPU can show: the package on CUDA tensors. Skipped where
PyTorch sees no CUDA device.

Run them on a machine with a GPU (``pytest tests/test_cuda.py``): kNN on CUDA
features under deterministic algorithms, the augmentation in bfloat16 on the
GPU, and one epoch of the command-line trainer with ``--device cuda``.
"""

from __future__ import annotations

import json

import pytest
import torch

from sslbook.augment import SimCLRAugment, augment_config
from sslbook.evaluate import knn_predict
from sslbook.simclr_checkpoint import METRICS
from sslbook.simclr_train import main

pytestmark = pytest.mark.skipif(
    not torch.cuda.is_available(), reason="needs a CUDA device"
)


@pytest.fixture
def deterministic():
    before = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(True)
    yield
    torch.use_deterministic_algorithms(before)


def test_knn_on_cuda_is_deterministic_and_matches_the_cpu(deterministic):
    torch.manual_seed(0)
    train, labels, test = (
        torch.randn(2000, 32),
        torch.randint(0, 10, (2000,)),
        torch.randn(500, 32),
    )
    on_cpu = knn_predict(train, labels, test)
    on_gpu = knn_predict(train.cuda(), labels.cuda(), test.cuda())
    assert on_gpu.device.type == "cuda"
    assert torch.equal(on_gpu.cpu(), on_cpu)
    assert torch.equal(
        knn_predict(train.cuda(), labels.cuda(), test.cuda()), on_gpu
    )


def test_bfloat16_views_on_cuda_match_the_cpu_in_float32():
    """The same parameters give the same views on the GPU in bfloat16 as on the
    CPU in float32, up to one rounding.
    """
    torch.manual_seed(0)
    x = torch.rand(300, 3, 32, 32)
    augment = SimCLRAugment(augment_config("cifar10"), seed=0)
    params = augment.sample(300, 32, 32)
    on_gpu = augment.apply(x.cuda().bfloat16(), params)
    assert on_gpu.dtype == torch.bfloat16 and on_gpu.device.type == "cuda"
    on_cpu = augment.apply(x.bfloat16().float(), params)
    assert (
        on_gpu.float().cpu() - on_cpu
    ).abs().max() <= 2**-8  # one bfloat16 rounding of a value in [0, 1]
    assert torch.allclose(
        augment.apply(x.cuda(), params).cpu(),
        augment.apply(x, params),
        atol=1e-5,
    )


def test_one_trainer_epoch_on_cuda(tmp_path):
    main([
        "--dataset", "mnist5k", "--subset", "512", "--batch-size", "128",
        "--epochs", "1", "--knn-every", "1",
        "--device", "cuda", "--out", str(tmp_path),
    ])  # fmt: skip
    metrics = json.loads((tmp_path / METRICS).read_text())
    assert metrics["device"].startswith("cuda")
    row = metrics["epochs"][0]
    assert row["max_memory_mib"] > 0 and 0.0 <= row["val_knn_acc"] <= 1.0
