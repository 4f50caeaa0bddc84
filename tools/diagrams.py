"""Draw the book's five diagrams as SVG files, in English and in Chinese.

    python tools/diagrams.py            # (re)write every diagram
    python tools/diagrams.py --check    # exit 1 if a committed file differs

The English diagrams go to chapters/figures/, the Chinese ones to
i18n/zh/figures/, from which tools/i18n.py copies them into the Chinese book.
Every label is written in English in the drawing code and looked up in ``ZH``
for the Chinese drawing; a label without its Chinese is an error. The Chinese
labels need the WenQuanYi Micro Hei font (Debian's fonts-wqy-microhei, which
`make test` installs with the browser); its glyphs are drawn as paths, so the
SVG shows the same in every browser.

The drawings are plain matplotlib (boxes, arrows, text), so they render
offline and the same way on every machine with the pinned matplotlib:
the SVG metadata carries no date and the element ids come from a fixed salt.
tests/test_diagrams.py checks that the committed files match a fresh rendering.
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path
from typing import Callable

import matplotlib

matplotlib.use("svg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "chapters" / "figures"
OUT_ZH = ROOT / "i18n" / "zh" / "figures"
#: The Chinese font, by its Debian path: registered by path, so that a font
#: cache built before the font was installed does not hide it.
CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
CJK_FAMILY = "WenQuanYi Micro Hei"

#: Every label of every diagram, in Chinese (the terms of i18n/zh/terms.yml).
ZH = {
    "loss": "损失",
    "forward pass: one layer after another": "前向传播：逐层计算",
    (
        "backward pass: each step multiplies by one layer's Jacobian "
        "(for the sigmoid, $\\rho' \\leq 1/4$)"
    ): (
        "反向传播：每一步乘以一层的雅可比矩阵"
        "（对 sigmoid 函数，$\\rho' \\leq 1/4$）"
    ),
    "centre word": "中心词",
    "context word": "上下文词",
    "noise word": "噪声词",
    "vector": "向量",
    "$\\cdots\\ n_K$ (drawn $\\propto$ count$^{3/4}$)": (
        "$\\cdots\\ n_K$（抽取概率 $\\propto$ 词频$^{3/4}$）"
    ),
    "push $\\sigma(\\mathbf{u}_c \\cdot \\mathbf{v}_w)$ up: a real pair": (
        "推高 $\\sigma(\\mathbf{u}_c \\cdot \\mathbf{v}_w)$：真实的词对"
    ),
    "push $\\sigma(\\mathbf{u}_{n_k} \\cdot \\mathbf{v}_w)$ down: noise": (
        "压低 $\\sigma(\\mathbf{u}_{n_k} \\cdot \\mathbf{v}_w)$：噪声"
    ),
    "within the window\nof $w$ in the text": "在文本中位于\n$w$ 的窗口之内",
    "(input)": "（输入）",
    "encoder": "编码器",
    "decoder": "解码器",
    "code": "编码",
    "loss $\\Vert x - \\hat{x} \\Vert^2$: the input is its own target": (
        "损失 $\\Vert x - \\hat{x} \\Vert^2$：输入就是它自己的目标"
    ),
    "image": "图像",
    "view": "视图",
    "head": "投影头",
    "positive pair:\npull together": "正样本对：\n相互拉近",
    (
        "the other $2N - 2$ views\n"
        "of the batch: negatives,\n"
        "pushed away by NT-Xent"
    ): "批次中其余 $2N - 2$ 个\n视图是负样本，\n被 NT-Xent 推开",
    "two random\naugmentations": "两次随机的\n数据增强",
    "kept for the task": "留给下游任务",
    "used by the loss only": "只供损失函数使用",
    "query encoder": "查询编码器",
    "(trained)": "（参与训练）",
    "key encoder": "键编码器",
    "query": "查询",
    "key": "键",
    "queue of $K$ keys": "$K$ 个键组成的队列",
    "(older batches)": "（来自较早的批次）",
    "InfoNCE: $q$ against": "InfoNCE：$q$ 对比",
    "$k^+$ and the $K$ keys": "$k^+$ 与这 $K$ 个键",
    "enqueued, oldest\nkeys dropped": "入队，最旧的\n键出队",
    "positive": "正样本",
    "no gradient: a slow moving average": "无梯度：缓慢的滑动平均",
}


def english(label: str) -> str:
    return label


def chinese(label: str) -> str:
    if label not in ZH:
        raise KeyError(
            f"the diagram label {label!r} "
            "has no Chinese in tools/diagrams.py's ZH"
        )
    return ZH[label]


Text = Callable[[str], str]
BLUE, ORANGE, GREEN, GREY, RED = (
    "#dbe8f6",
    "#fde3c8",
    "#d9f0d3",
    "#eeeeee",
    "#c0392b",
)


def canvas(width: float, height: float) -> tuple[plt.Figure, plt.Axes]:
    fig, ax = plt.subplots(figsize=(width, height))
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.axis("off")
    return fig, ax


def box(
    ax: plt.Axes,
    x: float,
    y: float,
    text: str,
    colour: str = BLUE,
    w: float = 1.3,
    h: float = 0.6,
) -> tuple:
    """A rounded box centred on (x, y); returns its centre and half sizes for
    arrows.
    """
    ax.add_patch(
        FancyBboxPatch(
            (x - w / 2, y - h / 2),
            w,
            h,
            boxstyle="round,pad=0.02,rounding_size=0.08",
            facecolor=colour,
            edgecolor="#333333",
            linewidth=1.0,
        )
    )
    ax.text(x, y, text, ha="center", va="center", fontsize=10)
    return (x, y, w / 2, h / 2)


def arrow(
    ax: plt.Axes,
    a: tuple,
    b: tuple,
    label: str = "",
    colour: str = "#333333",
    style: str = "-|>",
    offset: float = 0.18,
    dashed: bool = False,
) -> None:
    """An arrow from the edge of box a to the edge of box b, with an optional
    label above its middle.
    """
    (xa, ya, wa, ha), (xb, yb, wb, hb) = a, b
    if abs(xb - xa) >= abs(yb - ya):
        start = (xa + (wa if xb > xa else -wa), ya)
        end = (xb - (wb if xb > xa else -wb), yb)
    else:
        start = (xa, ya + (ha if yb > ya else -ha))
        end = (xb, yb - (hb if yb > ya else -hb))
    ax.add_patch(
        FancyArrowPatch(
            start,
            end,
            arrowstyle=style,
            mutation_scale=12,
            color=colour,
            linewidth=1.2,
            linestyle="--" if dashed else "-",
        )
    )
    if label:
        ax.text(
            (start[0] + end[0]) / 2,
            (start[1] + end[1]) / 2 + offset,
            label,
            ha="center",
            va="bottom",
            fontsize=9,
            color=colour,
        )


def backward_pass(t: Text = english) -> plt.Figure:
    """Chapter 1: the forward pass through the layers, and the backward pass as
    a product of Jacobians.
    """
    fig, ax = canvas(10.5, 3.0)
    names = [r"$x = h_0$", r"$h_1$", r"$h_2$", r"$\cdots$", r"$h_L$", r"$J$"]
    boxes = [
        box(ax, 0.9 + 1.75 * i, 2.1, n, GREY if i in (0, 5) else BLUE, w=1.1)
        for i, n in enumerate(names)
    ]
    for i, (a, b) in enumerate(zip(boxes, boxes[1:])):
        label = {
            0: r"$\rho(W_1 h_0 + b_1)$",
            1: r"$\rho(W_2 h_1 + b_2)$",
            4: t("loss"),
        }.get(i, "")
        arrow(ax, a, b, label, offset=0.35)
    lower = [
        box(ax, 0.9 + 1.75 * i, 0.7, n, ORANGE, w=1.1)
        for i, n in enumerate(
            [
                r"$\partial J/\partial h_0$",
                r"$\partial J/\partial h_1$",
                r"$\partial J/\partial h_2$",
                r"$\cdots$",
                r"$\partial J/\partial h_L$",
                "1",
            ]
        )
    ]
    for i, (a, b) in enumerate(zip(lower[1:], lower)):
        label = {
            0: r"$\times\,\mathrm{diag}(\rho')\,W_1$",
            1: r"$\times\,\mathrm{diag}(\rho')\,W_2$",
        }.get(i, "")
        arrow(ax, a, b, label, colour=RED, offset=-0.62)
    ax.text(
        5.25,
        2.95,
        t("forward pass: one layer after another"),
        ha="center",
        fontsize=10,
    )
    ax.text(
        5.25,
        -0.15,
        t(
            "backward pass: each step multiplies by one layer's Jacobian "
            "(for the sigmoid, "
            r"$\rho' \leq 1/4$)"
        ),
        ha="center",
        fontsize=10,
        color=RED,
    )
    return fig


def skipgram(t: Text = english) -> plt.Figure:
    """Section 3.1: skip-gram with negative sampling for one (centre, context)
    pair and K noise words.
    """
    fig, ax = canvas(9.0, 3.6)
    centre = box(
        ax,
        1.4,
        1.8,
        t("centre word") + " $w$\n" + t("vector") + r" $\mathbf{v}_w$",
        BLUE,
        w=2.0,
        h=0.9,
    )
    context = box(
        ax,
        6.8,
        3.0,
        t("context word") + " $c$\n" + t("vector") + r" $\mathbf{u}_c$",
        GREEN,
        w=2.2,
        h=0.8,
    )
    noise = box(
        ax,
        6.8,
        1.6,
        t("noise word")
        + r" $n_1$"
        + "\n"
        + t("vector")
        + r" $\mathbf{u}_{n_1}$",
        ORANGE,
        w=2.2,
        h=0.8,
    )
    box(
        ax,
        6.8,
        0.55,
        t(r"$\cdots\ n_K$ (drawn $\propto$ count$^{3/4}$)"),
        ORANGE,
        w=2.8,
        h=0.5,
    )
    arrow(
        ax,
        centre,
        context,
        t(r"push $\sigma(\mathbf{u}_c \cdot \mathbf{v}_w)$ up: a real pair"),
        colour="#2e7d32",
    )
    arrow(
        ax,
        centre,
        noise,
        t(r"push $\sigma(\mathbf{u}_{n_k} \cdot \mathbf{v}_w)$ down: noise"),
        colour=RED,
        offset=-0.45,
    )
    ax.text(
        1.4,
        0.55,
        t("within the window\nof $w$ in the text"),
        ha="center",
        fontsize=9,
    )
    return fig


def autoencoder(t: Text = english) -> plt.Figure:
    """Section 3.2: encoder, code, decoder, and the reconstruction loss."""
    fig, ax = canvas(9.5, 2.6)
    x = box(ax, 0.8, 1.5, "$x$\n" + t("(input)"), GREY, w=1.2, h=0.8)
    phi = box(ax, 2.7, 1.5, t("encoder") + r" $\phi$", BLUE, w=1.5)
    h = box(
        ax,
        4.6,
        1.5,
        "$h = \\phi(x)$\n"
        + t("code")
        + (", " if t is english else "，")
        + "$k < d$",
        GREEN,
        w=1.6,
        h=0.8,
    )
    psi = box(ax, 6.5, 1.5, t("decoder") + r" $\psi$", BLUE, w=1.5)
    xhat = box(ax, 8.5, 1.5, r"$\hat{x} = \psi(h)$", GREY, w=1.5)
    for a, b in [(x, phi), (phi, h), (h, psi), (psi, xhat)]:
        arrow(ax, a, b)
    ax.annotate(
        "",
        xy=(0.8, 1.05),
        xytext=(8.5, 1.05),
        arrowprops=dict(
            arrowstyle="<->",
            color=RED,
            linewidth=1.2,
            connectionstyle="arc3,rad=-0.12",
        ),
    )
    ax.text(
        4.65,
        0.2,
        t(r"loss $\Vert x - \hat{x} \Vert^2$: the input is its own target"),
        ha="center",
        fontsize=10,
        color=RED,
    )
    return fig


def simclr(t: Text = english) -> plt.Figure:
    """Section 4.3: two augmentations, the encoder f, the head g, and NT-Xent's
    positives and negatives.
    """
    fig, ax = canvas(11.0, 3.8)
    x = box(ax, 0.8, 1.9, t("image") + " $x$", GREY, w=1.2)
    rows = {}
    for name, y in (("i", 3.0), ("j", 0.8)):
        view = box(
            ax,
            2.8,
            y,
            t("view") + rf" $\tilde{{x}}_{name} = t_{name}(x)$",
            ORANGE,
            w=1.9,
        )
        enc = box(ax, 4.9, y, t("encoder") + " $f$", BLUE, w=1.3)
        rep = box(ax, 6.6, y, rf"$h_{name}$", GREEN, w=0.9)
        head = box(ax, 8.1, y, t("head") + " $g$", BLUE, w=1.1)
        z = box(ax, 9.6, y, rf"$z_{name}$", GREEN, w=0.9)
        arrow(ax, x, view)
        for a, b in [(view, enc), (enc, rep), (rep, head), (head, z)]:
            arrow(ax, a, b)
        rows[name] = z
    ax.annotate(
        "",
        xy=(9.95, 2.7),
        xytext=(9.95, 1.1),
        arrowprops=dict(arrowstyle="<->", color="#2e7d32", linewidth=1.5),
    )
    ax.text(
        10.1,
        1.9,
        t("positive pair:\npull together"),
        fontsize=9,
        color="#2e7d32",
        va="center",
    )
    ax.text(
        8.1,
        1.9,
        t(
            "the other $2N - 2$ views\n"
            "of the batch: negatives,\n"
            "pushed away by NT-Xent"
        ),
        ha="center",
        va="center",
        fontsize=9,
        color=RED,
    )
    ax.text(
        1.75,
        1.9,
        t("two random\naugmentations"),
        ha="left",
        va="center",
        fontsize=9,
    )
    ax.text(6.6, 3.55, t("kept for the task"), ha="center", fontsize=9)
    ax.text(8.85, 3.55, t("used by the loss only"), ha="center", fontsize=9)
    return fig


def moco(t: Text = english) -> plt.Figure:
    """Chapter 5: the query encoder, the momentum key encoder, and the queue of
    negative keys.
    """
    fig, ax = canvas(11.0, 3.8)
    xq = box(ax, 0.8, 2.9, t("view") + r" $\tilde{x}_q$", ORANGE, w=1.2)
    xk = box(ax, 0.8, 0.9, t("view") + r" $\tilde{x}_k$", ORANGE, w=1.2)
    fq = box(
        ax,
        3.4,
        2.9,
        t("query encoder") + "\n" + r"$\theta_q$ " + t("(trained)"),
        BLUE,
        w=1.9,
        h=0.8,
    )
    fk = box(
        ax,
        3.4,
        0.9,
        t("key encoder")
        + "\n"
        + r"$\theta_k \leftarrow m\theta_k + (1-m)\theta_q$",
        GREY,
        w=2.9,
        h=0.8,
    )
    q = box(ax, 5.9, 2.9, t("query") + " $q$", GREEN, w=1.2)
    k = box(ax, 5.9, 0.9, t("key") + " $k^+$", GREEN, w=1.2)
    queue = box(
        ax,
        8.9,
        0.9,
        t(r"queue of $K$ keys") + "\n" + t("(older batches)"),
        GREY,
        w=2.2,
        h=0.8,
    )
    loss = box(
        ax,
        8.9,
        2.9,
        t(r"InfoNCE: $q$ against") + "\n" + t(r"$k^+$ and the $K$ keys"),
        RED + "22",
        w=2.4,
        h=0.8,
    )
    for a, b in [
        (xq, fq),
        (fq, q),
        (xk, fk),
        (fk, k),
        (q, loss),
        (queue, loss),
    ]:
        arrow(ax, a, b)
    arrow(ax, k, queue, t("enqueued, oldest\nkeys dropped"), offset=-0.75)
    arrow(ax, k, loss, t("positive"), colour="#2e7d32", offset=0.05)
    arrow(ax, fq, fk, "", dashed=True, colour="#555555")
    ax.text(
        3.55,
        1.9,
        t("no gradient: a slow moving average"),
        fontsize=9,
        color="#555555",
        va="center",
    )
    return fig


DIAGRAMS: dict[str, Callable[[Text], plt.Figure]] = {
    "backward_pass": backward_pass,
    "skipgram": skipgram,
    "autoencoder": autoencoder,
    "simclr": simclr,
    "moco": moco,
}


def has_chinese_font() -> bool:
    return CJK_FONT.is_file()


def render(make: Callable[[Text], plt.Figure], lang: str = "en") -> bytes:
    """The SVG bytes of one diagram in ``lang`` ("en" or "zh"), the same on
    every run.
    """
    rc = {"svg.hashsalt": "sslbook", "font.family": ["DejaVu Sans"]}
    if lang == "zh":
        if not has_chinese_font():
            raise FileNotFoundError(
                f"the Chinese diagrams need {CJK_FONT} "
                "(Debian: apt-get install fonts-wqy-microhei)"
            )
        font_manager.fontManager.addfont(str(CJK_FONT))
        # The Chinese font first: mathtext typesets a label's words (outside
        # $...$) in the first font found, without fallback; its maths stays in
        # DejaVu Sans.
        rc["font.family"] = [CJK_FAMILY, "DejaVu Sans"]
    with plt.rc_context(rc):
        fig = make(english if lang == "en" else chinese)
        buffer = io.StringIO()
        fig.savefig(
            buffer, format="svg", bbox_inches="tight", metadata={"Date": None}
        )
        plt.close(fig)
    return buffer.getvalue().encode("utf-8")


def stale(lang: str, write: bool = False) -> list[str]:
    """The diagrams of ``lang`` whose committed file differs from a fresh
    rendering (rewritten if ``write``).
    """
    out = OUT if lang == "en" else OUT_ZH
    found = []
    for name, make in DIAGRAMS.items():
        path = out / f"{name}.svg"
        svg = render(make, lang)
        if write:
            out.mkdir(parents=True, exist_ok=True)
            path.write_bytes(svg)
            print(f"wrote {path.relative_to(ROOT)}")
        elif not path.exists() or path.read_bytes() != svg:
            found.append(f"{path.relative_to(ROOT)}")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="compare with the committed files; write nothing",
    )
    args = parser.parse_args(argv)
    found = [
        path
        for lang in ("en", "zh")
        for path in stale(lang, write=not args.check)
    ]
    if found:
        print(
            f"stale: {', '.join(found)}; run python tools/diagrams.py",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
