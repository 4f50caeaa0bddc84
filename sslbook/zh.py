"""The Chinese words of the book's calls: one home for the methods' Chinese
names.

The Chinese edition pastes the same measurements as the English one. A call of
the book's rule is glued in English as ``key`` and in Chinese as ``key_zh``
(:func:`sslbook.glue.glue_call`), both written by the English run, so the two
editions can never disagree on a call. :func:`name_zh` translates the name of
one arm of a comparison; :func:`call_text_zh` words a whole call.

Example
-------
>>> from sslbook.zh import call_text_zh, name_zh
>>> name_zh("the supervised CNN")
'监督训练的 CNN'
>>> call_text_zh("ahead", "SimCLR", "raw pixels")
'SimCLR 领先于原始像素'
>>> call_text_zh("inconclusive", "MoCo", "SimCLR", n=3)
'MoCo 与 SimCLR 的比较在 3 个随机种子下尚无定论'
"""

from __future__ import annotations

import re

__all__ = [
    "NAMES",
    "has_name_zh",
    "name_zh",
    "call_text_zh",
    "settings_text_zh",
]

#: The Chinese of every arm that a chapter compares (its English as the
#: chapter names it).
NAMES = {
    "the float64 probe": "float64 下的线性探针",
    "the float32 probe": "float32 下的线性探针",
    "the probe on the sigmoid network's layer": (
        "sigmoid 网络这一层上的线性探针"
    ),
    "the probe on the ReLU network's layer": "ReLU 网络这一层上的线性探针",
    "the probe on raw pixels": "原始像素上的线性探针",
    "the raw-pixel probe": "原始像素上的线性探针",
    "the plain sigmoid network": "普通的 sigmoid 网络",
    "the sigmoid network with BatchNorm": "加 BatchNorm 的 sigmoid 网络",
    "the sigmoid network with residual connections": (
        "加残差连接的 sigmoid 网络"
    ),
    "our model's agreement with gensim": "我们的模型与 gensim 的一致度",
    "the agreement between gensim runs": "gensim 各次运行之间的一致度",
    "the chosen model": "选定设置的模型",
    "the source's CBOW": "原文的 CBOW",
    "the autoencoder": "自编码器",
    "the autoencoder's code": "自编码器的编码",
    "the PCA projection": "PCA 投影",
    "raw pixels": "原始像素",
    "the supervised CNN": "监督训练的 CNN",
    "the random encoder": "随机编码器",
    "the probe on h": "h 上的线性探针",
    "the probe on z": "z 上的线性探针",
    "the probe on h's 64 principal components": "h 的 64 个主成分上的线性探针",
    "fine-tuning MAE": "微调 MAE",
    "probing MAE": "对 MAE 做线性探测",
    "fine-tuned MAE": "微调后的 MAE",
    "fine-tuned SimCLR": "微调后的 SimCLR",
    "SimCLR's probe": "SimCLR 的线性探针",
    "MAE's probe": "MAE 的线性探针",
    "the untrained Transformer's probe": "未训练 Transformer 上的线性探针",
    "training the same Transformer from scratch": "从头训练同一个 Transformer",
    "the tiny BERT": "微型 BERT",
    "the unigram guess": "一元猜测",
    "the word frequencies": "词频基线",
    "the naive network": "朴素孪生网络",
    "BYOL with m = 0": "m = 0 的 BYOL",
    "BYOL with m = 0.9": "m = 0.9 的 BYOL",
    "BYOL with m = 0.99": "m = 0.99 的 BYOL",
    "BYOL with m = 1": "m = 1 的 BYOL",
    "BYOL without the predictor": "去掉预测器的 BYOL",
    "the contrastive CNN": "对比训练的 CNN",
    "the random CNN": "随机 CNN",
    "the raw signal": "原始信号",
    "the raw-feature probe": "原始特征上的线性探针",
    "fine-tuning": "微调",
    "training on to 1,200 steps": "继续训练到 1,200 步",
    "stopping at the chosen steps": "在选定的步数停止",
    "the change in the fine-tuned encoder's test loss": (
        "微调编码器测试损失的变化"
    ),
    "the change in the test loss from scratch": "从头训练时测试损失的变化",
    "training from scratch": "从头训练",
    "the linear probe": "线性探针",
    "pre-training with a probe": "预训练加线性探针",
    "the cross-entropy": "交叉熵",
    "the cross-entropy's share": "交叉熵下的份额",
    "NT-Xent's share": "NT-Xent 下的份额",
    "the randomly initialised sigmoid network": "随机初始化的 sigmoid 网络",
    "the pre-trained sigmoid network": "预训练的 sigmoid 网络",
    "ReLU with He initialisation": "ReLU 加 He 初始化",
}
# Names that stay as they are: methods, and settings written in symbols.
_KEPT = re.compile(
    r"(SimCLR|MoCo|BYOL|SimSiam|SCARF|Word2Vec|NT-Xent|PCA|BatchNorm"
    r"|τ = [0-9.]+)"
)
_EPOCHS = re.compile(r"(CBOW|skip-gram) with (\d+) epochs")


def has_name_zh(name: str) -> bool:
    """Whether :func:`name_zh` knows ``name`` (the book's test requires it of
    every arm it compares).
    """
    return name in NAMES or bool(
        _KEPT.fullmatch(name) or _EPOCHS.fullmatch(name)
    )


def name_zh(name: str) -> str:
    """The Chinese of one arm's name; a name the table lacks (a reader's own)
    stays as it is.
    """
    if name in NAMES:
        return NAMES[name]
    match = _EPOCHS.fullmatch(name)
    if match:
        model = "跳字模型" if match.group(1) == "skip-gram" else "CBOW"
        return _join(f"训练 {match.group(2)} 轮的", model)
    return name


def _join(a: str, b: str) -> str:
    """Two words joined as Chinese typesetting does: a space only between
    Latin and Chinese.
    """
    if not a or not b:
        return a + b
    latin = re.compile(r"[A-Za-z0-9τ=.'±)]")
    return (
        a
        + (" " if bool(latin.match(a[-1])) != bool(latin.match(b[0])) else "")
        + b
    )


def call_text_zh(
    call: str,
    name_a: str,
    name_b: str,
    *,
    margin: float | None = None,
    n: int | None = None,
) -> str:
    """A call in Chinese: ``call`` is ``"ahead"`` (A ahead of B), ``"within"``
    or ``"inconclusive"``.
    """
    a, b = name_zh(name_a), name_zh(name_b)
    if call == "ahead":
        return _join(_join(a, "领先于"), b)
    if call == "within":
        return _join(
            _join(_join(_join(a, "与"), b), f"相差在 ±{margin:g}"), "以内"
        )
    if call == "inconclusive":
        return _join(
            _join(_join(_join(a, "与"), b), "的比较在"),
            f"{n} 个随机种子下尚无定论",
        )
    raise ValueError(
        f"call must be 'ahead', 'within' or 'inconclusive', got {call!r}"
    )


def settings_text_zh(lr: float, weight_decay: float | None, steps: int) -> str:
    """A supervised run's chosen settings in Chinese, as the English pages
    word them (:func:`sslbook.glue.settings_record`); a weight decay of None is
    left out.
    """
    decay = "" if weight_decay is None else f"，权重衰减 {weight_decay:g}"
    return f"学习率 {lr:g}{decay}，{steps} 步"
