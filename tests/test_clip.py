import math

import pytest
import torch

from sslbook.clip import clip_loss, zero_shot_predict
from sslbook.losses import info_nce_loss


def test_clip_loss_is_the_mean_of_infonce_in_both_directions():
    torch.manual_seed(0)
    images, texts = torch.randn(5, 8), torch.randn(5, 8)
    tau = 0.3

    def others(x):  # (5, 4, 8): for row i, every row of x but i
        return torch.stack(
            [torch.cat([x[:i], x[i + 1 :]]) for i in range(len(x))]
        )

    image_to_text = info_nce_loss(images, texts, others(texts), tau)
    text_to_image = info_nce_loss(texts, images, others(images), tau)
    assert clip_loss(images, texts, tau).item() == pytest.approx(
        ((image_to_text + text_to_image) / 2).item(), rel=1e-5
    )
    # the two directions differ, so the average matters
    assert image_to_text.item() != pytest.approx(
        text_to_image.item(), rel=1e-3
    )


def test_clip_loss_is_symmetric_in_the_modalities_and_uses_the_temperature():
    torch.manual_seed(1)
    a, b = torch.randn(6, 4), torch.randn(6, 4)
    assert clip_loss(a, b, 0.5).item() == pytest.approx(
        clip_loss(b, a, 0.5).item(), rel=1e-6
    )
    assert clip_loss(a, b, 0.5).item() != pytest.approx(
        clip_loss(a, b, 1.0).item(), rel=1e-3
    )


def test_matching_pairs_give_a_low_loss_and_identical_embeddings_log_n():
    assert clip_loss(torch.eye(4) * 3, torch.eye(4), 0.05).item() < 1e-3
    assert clip_loss(
        torch.ones(4, 3), torch.ones(4, 3)
    ).item() == pytest.approx(math.log(4))


@pytest.mark.parametrize(
    "images, texts, tau, message",
    [
        (torch.randn(4, 3), torch.randn(4, 2), 0.1, "same dim"),
        (torch.randn(4, 3), torch.randn(5, 3), 0.1, "pair up row by row"),
        (torch.randn(1, 3), torch.randn(1, 3), 0.1, "at least 2 pairs"),
        (
            torch.randn(4, 3),
            torch.randn(4, 3),
            0.0,
            "temperature must be a finite number > 0",
        ),
    ],
)
def test_clip_loss_checks_its_input(images, texts, tau, message):
    with pytest.raises(ValueError, match=message):
        clip_loss(images, texts, tau)


def test_zero_shot_picks_the_most_similar_class_text_whatever_the_scale():
    classes = torch.eye(3) * torch.tensor(
        [[1.0], [1.0], [20.0]]
    )  # class 2's caption has a large norm
    images = torch.tensor([[0.1, 5.0, 0.5], [2.0, 0.0, 0.3], [0.0, 0.2, 0.3]])
    assert zero_shot_predict(images, classes).tolist() == [
        1,
        0,
        2,
    ]  # cosine, not dot product
    assert zero_shot_predict(images * 7, classes).tolist() == [1, 0, 2]
    with pytest.raises(ValueError, match="same dim"):
        zero_shot_predict(images, torch.eye(2))
