import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from sslbook.data import load_images
from sslbook.evaluate import knn_accuracy
from sslbook.models import encode
from sslbook.simclr_checkpoint import CHECKPOINT, METRICS, CheckpointError
from sslbook.simclr_cli import parse_args
from sslbook.simclr_train import _build_model, main

TINY = [
    "--dataset", "mnist5k", "--subset", "256", "--batch-size", "64",
    "--widths", "4,8", "--feature-dim", "16", "--projection-dim", "8",
    "--knn-every", "1",
]  # fmt: skip


def torchrun(*args: str) -> None:
    """The trainer in 2 CPU processes, started as README says (the venv's
    torchrun --standalone).
    """
    cmd = [
        str(Path(sys.executable).with_name("torchrun")),
        "--standalone", "--nproc_per_node=2",
        "-m", "sslbook.simclr_train", *TINY, *args,
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]


@pytest.mark.slow  # make unit skips it; make test runs it
def test_two_processes_resumed_from_a_checkpoint_equal_an_uninterrupted_run(
    tmp_path,
):
    torchrun("--epochs", "2", "--out", str(tmp_path / "straight"))
    torchrun("--epochs", "1", "--out", str(tmp_path / "resumed"))
    torchrun("--epochs", "2", "--out", str(tmp_path / "resumed"), "--resume")

    straight, resumed = (
        torch.load(tmp_path / run / CHECKPOINT, weights_only=True)
        for run in ("straight", "resumed")
    )
    assert straight["epoch"] == resumed["epoch"] == 2
    for name, tensor in straight["model"].items():
        assert torch.equal(tensor, resumed["model"][name]), name
    metrics = [
        json.loads((tmp_path / run / METRICS).read_text())
        for run in ("straight", "resumed")
    ]
    assert [m["world_size"] for m in metrics] == [2, 2]
    drop_timing = lambda rows: [
        (r["epoch"], r["loss"], r["val_knn_acc"]) for r in rows
    ]  # noqa: E731
    assert drop_timing(metrics[0]["epochs"]) == drop_timing(
        metrics[1]["epochs"]
    )
    assert all(
        row["val_knn_acc"] is not None for row in metrics[0]["epochs"]
    )  # --knn-every 1


@pytest.fixture(scope="module")
def one_epoch(tmp_path_factory):
    """A finished one-epoch run in this process (no torchrun): its output
    folder.

    The trainer seeds and sets PyTorch's global switches as a script does;
    they are put back afterwards, so that later tests run as they would alone.
    """
    out = tmp_path_factory.mktemp("run")
    threads, deterministic = (
        torch.get_num_threads(),
        torch.are_deterministic_algorithms_enabled(),
    )
    try:
        main([*TINY, "--epochs", "1", "--out", str(out)])
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(deterministic)
    return out


@pytest.mark.slow  # make unit skips it; make test runs it
def test_a_run_writes_its_checkpoint_and_metrics(one_epoch):
    checkpoint = torch.load(one_epoch / CHECKPOINT, weights_only=True)
    metrics = json.loads((one_epoch / METRICS).read_text())
    assert (
        checkpoint["epoch"] == 1 and checkpoint["config"]["batch_size"] == 64
    )
    assert [row["epoch"] for row in metrics["epochs"]] == [1]
    assert set(metrics["epochs"][0]) >= {
        "loss",
        "seconds",
        "images_per_s",
        "val_knn_acc",
    }


@pytest.mark.slow  # make unit skips it; make test runs it
def test_training_beats_the_same_encoder_untrained(one_epoch):
    """The monitored kNN accuracy, on the validation split, against the
    untrained encoder on the same data.
    """
    args = parse_args([*TINY, "--epochs", "1", "--out", str(one_epoch)])
    data = load_images("mnist5k", seed=0)
    x_train, y_train = data.x_train[:256], data.y_train[:256]
    torch.manual_seed(0)
    untrained = _build_model(data.image_shape, args)
    trained = _build_model(data.image_shape, args)
    trained.load_state_dict(
        torch.load(one_epoch / CHECKPOINT, weights_only=True)["model"]
    )
    scores = {
        name: knn_accuracy(
            encode(m.encoder, x_train),
            y_train,
            encode(m.encoder, data.x_val),
            data.y_val,
        )
        for name, m in (("untrained", untrained), ("trained", trained))
    }
    logged = json.loads((one_epoch / METRICS).read_text())["epochs"][0][
        "val_knn_acc"
    ]
    assert logged == pytest.approx(scores["trained"], abs=1e-4)
    assert scores["trained"] > scores["untrained"] + 0.02, scores


@pytest.mark.slow  # make unit skips it; make test runs it
def test_a_corrupt_checkpoint_is_refused_with_a_clear_error(
    one_epoch, tmp_path
):
    (tmp_path / CHECKPOINT).write_bytes(
        (one_epoch / CHECKPOINT).read_bytes()[:1000]
    )  # truncated
    with pytest.raises(
        CheckpointError, match="cannot read checkpoint .* truncated"
    ):
        main([*TINY, "--epochs", "2", "--out", str(tmp_path), "--resume"])
    (tmp_path / CHECKPOINT).write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="cannot read checkpoint"):
        main([*TINY, "--epochs", "2", "--out", str(tmp_path), "--resume"])


@pytest.mark.slow  # make unit skips it; make test runs it
def test_resume_needs_a_checkpoint_with_the_same_settings(one_epoch, tmp_path):
    with pytest.raises(CheckpointError, match="no checkpoint at"):
        main([*TINY, "--epochs", "2", "--out", str(tmp_path), "--resume"])
    with pytest.raises(
        CheckpointError,
        match="other settings .*temperature: checkpoint 0.5, now 0.2",
    ):
        main(
            [
                *TINY,
                "--epochs",
                "2",
                "--out",
                str(one_epoch),
                "--resume",
                "--temperature",
                "0.2",
            ]
        )
    with pytest.raises(CheckpointError, match="already trained 1 epochs"):
        main([*TINY, "--epochs", "1", "--out", str(one_epoch), "--resume"])
    with pytest.raises(CheckpointError, match="exists; pass --resume"):
        main([*TINY, "--epochs", "2", "--out", str(one_epoch)])


@pytest.mark.parametrize(
    "world, args, message",
    [
        ("1", ["--dataset", "imagenet"], "invalid choice: 'imagenet'"),
        (
            "1",
            ["--batch-size", "1"],
            "--batch-size 1 over 1 process leaves 1 image per process",
        ),
        (
            "2",
            ["--batch-size", "2"],
            "--batch-size 2 over 2 processes leaves 1 image per process",
        ),
        ("2", ["--batch-size", "5"], "does not split evenly over 2 processes"),
        ("1", ["--lr", "0"], "must be a finite number > 0"),
        ("1", ["--widths", "16"], "two positive integers"),
        ("1", ["--epochs", "0"], "must be an integer >= 1, got '0'"),
        ("1", ["--seed", "x"], "must be an integer >= 0, got 'x'"),
    ],
)
def test_bad_arguments_exit_with_a_message(
    monkeypatch, capsys, world, args, message
):
    monkeypatch.setenv(
        "WORLD_SIZE", world
    )  # as torchrun sets it; checked before any process group starts
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def fake_gpus(
    monkeypatch, count: int, local_processes: int, local_rank: int = 0
) -> None:
    """This machine as torchrun describes it, with ``count`` GPUs that PyTorch
    sees.
    """
    monkeypatch.setattr(torch.cuda, "is_available", lambda: count > 0)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: count)
    for name, value in (
        ("WORLD_SIZE", local_processes),
        ("LOCAL_WORLD_SIZE", local_processes),
        ("LOCAL_RANK", local_rank),
    ):
        monkeypatch.setenv(name, str(value))


@pytest.mark.parametrize(
    "gpus, processes, device",
    [
        (1, 2, "cpu"),
        (2, 2, "cuda"),
        (4, 2, "cuda"),
        (1, 1, "cuda"),
        (0, 1, "cpu"),
        (0, 2, "cpu"),
    ],
)
def test_auto_uses_cuda_only_with_one_gpu_per_process(
    monkeypatch, capsys, gpus, processes, device
):
    fake_gpus(monkeypatch, gpus, processes)
    assert parse_args(["--device", "auto"]).device == device
    said = capsys.readouterr().out
    assert ("so training on the CPU" in said) == (gpus > 0 and device == "cpu")


def test_auto_says_once_that_it_falls_back_to_the_cpu(monkeypatch, capsys):
    fake_gpus(monkeypatch, 1, 2, local_rank=1)
    assert parse_args([]).device == "cpu"
    assert (
        capsys.readouterr().out == ""
    )  # the other process of the machine says it


@pytest.mark.parametrize(
    "gpus, processes, message",
    [
        (
            1,
            2,
            "needs one GPU per process, but this machine runs 2 processes and "
            "PyTorch sees 1 GPU",
        ),
        (0, 1, "sees no CUDA device"),
    ],
)
def test_cuda_with_too_few_gpus_is_a_command_line_error(
    monkeypatch, capsys, gpus, processes, message
):
    fake_gpus(monkeypatch, gpus, processes)
    with pytest.raises(SystemExit) as exit_info:
        parse_args(["--device", "cuda"])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
