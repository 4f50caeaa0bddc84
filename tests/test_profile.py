import pytest
import torch

from sslbook.profile import ENV_VAR, get_profile


def test_default_is_quick_on_cpu_with_embedded_data(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    profile = get_profile()
    assert (profile.name, profile.dataset, profile.device) == (
        "quick",
        "mnist5k",
        "cpu",
    )
    assert profile.is_quick


def test_empty_variable_means_quick(monkeypatch):
    monkeypatch.setenv(ENV_VAR, "  ")
    assert get_profile().name == "quick"


@pytest.mark.parametrize("cuda, device", [(True, "cuda"), (False, "cpu")])
def test_full_profile_uses_cifar10_and_a_gpu_when_present(
    monkeypatch, cuda, device
):
    monkeypatch.setenv(ENV_VAR, " FULL ")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    profile = get_profile()
    assert (profile.name, profile.dataset, profile.device) == (
        "full",
        "cifar10",
        device,
    )
    assert not profile.is_quick


def test_argument_overrides_environment(monkeypatch):
    monkeypatch.setenv(ENV_VAR, "full")
    assert get_profile("quick").name == "quick"


def test_pick_chooses_by_profile():
    assert get_profile("quick").pick(quick=1, full=2) == 1
    assert get_profile("full").pick(quick=1, full=2) == 2


def test_str_names_profile_dataset_and_device():
    text = str(get_profile("quick"))
    assert (
        text.startswith("Profile: quick")
        and "mnist5k" in text
        and "cpu" in text
    )


def test_unknown_profile_lists_known_ones(monkeypatch):
    monkeypatch.setenv(ENV_VAR, "fast")
    with pytest.raises(
        ValueError,
        match=(
            r"unknown profile 'fast' in environment variable "
            r"SSLBOOK_PROFILE; known profiles: quick, full"
        ),
    ):
        get_profile()
