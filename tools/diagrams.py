"""Draw the book's five diagrams as SVG files in chapters/figures/.

    python tools/diagrams.py            # (re)write every diagram
    python tools/diagrams.py --check    # exit 1 if a committed file differs

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
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "chapters" / "figures"
BLUE, ORANGE, GREEN, GREY, RED = "#dbe8f6", "#fde3c8", "#d9f0d3", "#eeeeee", "#c0392b"


def canvas(width: float, height: float) -> tuple[plt.Figure, plt.Axes]:
    fig, ax = plt.subplots(figsize=(width, height))
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.axis("off")
    return fig, ax


def box(ax: plt.Axes, x: float, y: float, text: str, colour: str = BLUE, w: float = 1.3, h: float = 0.6) -> tuple:
    """A rounded box centred on (x, y); returns its centre and half sizes for arrows."""
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.02,rounding_size=0.08",
                                facecolor=colour, edgecolor="#333333", linewidth=1.0))
    ax.text(x, y, text, ha="center", va="center", fontsize=10)
    return (x, y, w / 2, h / 2)


def arrow(ax: plt.Axes, a: tuple, b: tuple, label: str = "", colour: str = "#333333", style: str = "-|>",
          offset: float = 0.18, dashed: bool = False) -> None:
    """An arrow from the edge of box a to the edge of box b, with an optional label above its middle."""
    (xa, ya, wa, ha), (xb, yb, wb, hb) = a, b
    if abs(xb - xa) >= abs(yb - ya):
        start = (xa + (wa if xb > xa else -wa), ya)
        end = (xb - (wb if xb > xa else -wb), yb)
    else:
        start = (xa, ya + (ha if yb > ya else -ha))
        end = (xb, yb - (hb if yb > ya else -hb))
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle=style, mutation_scale=12, color=colour, linewidth=1.2,
                                 linestyle="--" if dashed else "-"))
    if label:
        ax.text((start[0] + end[0]) / 2, (start[1] + end[1]) / 2 + offset, label, ha="center", va="bottom",
                fontsize=9, color=colour)


def backward_pass() -> plt.Figure:
    """Chapter 1: the forward pass through the layers, and the backward pass as a product of Jacobians."""
    fig, ax = canvas(10.5, 3.0)
    names = [r"$x = h_0$", r"$h_1$", r"$h_2$", r"$\cdots$", r"$h_L$", r"$J$"]
    boxes = [box(ax, 0.9 + 1.75 * i, 2.1, n, GREY if i in (0, 5) else BLUE, w=1.1) for i, n in enumerate(names)]
    for i, (a, b) in enumerate(zip(boxes, boxes[1:])):
        label = {0: r"$\rho(W_1 h_0 + b_1)$", 1: r"$\rho(W_2 h_1 + b_2)$", 4: "loss"}.get(i, "")
        arrow(ax, a, b, label, offset=0.35)
    lower = [box(ax, 0.9 + 1.75 * i, 0.7, n, ORANGE, w=1.1) for i, n in enumerate(
        [r"$\partial J/\partial h_0$", r"$\partial J/\partial h_1$", r"$\partial J/\partial h_2$", r"$\cdots$",
         r"$\partial J/\partial h_L$", "1"])]
    for i, (a, b) in enumerate(zip(lower[1:], lower)):
        label = {0: r"$\times\,\mathrm{diag}(\rho')\,W_1$", 1: r"$\times\,\mathrm{diag}(\rho')\,W_2$"}.get(i, "")
        arrow(ax, a, b, label, colour=RED, offset=-0.62)
    ax.text(5.25, 2.95, "forward pass: one layer after another", ha="center", fontsize=10)
    ax.text(5.25, -0.15, "backward pass: each step multiplies by one layer's Jacobian (for the sigmoid, "
            r"$\rho' \leq 1/4$)", ha="center", fontsize=10, color=RED)
    return fig


def skipgram() -> plt.Figure:
    """Section 3.1: skip-gram with negative sampling for one (centre, context) pair and K noise words."""
    fig, ax = canvas(9.0, 3.6)
    centre = box(ax, 1.4, 1.8, "centre word $w$\n" + r"vector $\mathbf{v}_w$", BLUE, w=2.0, h=0.9)
    context = box(ax, 6.8, 3.0, "context word $c$\n" + r"vector $\mathbf{u}_c$", GREEN, w=2.2, h=0.8)
    noise = box(ax, 6.8, 1.6, r"noise word $n_1$" + "\n" + r"vector $\mathbf{u}_{n_1}$", ORANGE, w=2.2, h=0.8)
    box(ax, 6.8, 0.55, r"$\cdots\ n_K$ (drawn $\propto$ count$^{3/4}$)", ORANGE, w=2.8, h=0.5)
    arrow(ax, centre, context, r"push $\sigma(\mathbf{u}_c \cdot \mathbf{v}_w)$ up: a real pair", colour="#2e7d32")
    arrow(ax, centre, noise, r"push $\sigma(\mathbf{u}_{n_k} \cdot \mathbf{v}_w)$ down: noise", colour=RED,
          offset=-0.45)
    ax.text(1.4, 0.55, "within the window\nof $w$ in the text", ha="center", fontsize=9)
    return fig


def autoencoder() -> plt.Figure:
    """Section 3.2: encoder, code, decoder, and the reconstruction loss."""
    fig, ax = canvas(9.5, 2.6)
    x = box(ax, 0.8, 1.5, "$x$\n(input)", GREY, w=1.2, h=0.8)
    phi = box(ax, 2.7, 1.5, r"encoder $\phi$", BLUE, w=1.5)
    h = box(ax, 4.6, 1.5, "$h = \\phi(x)$\ncode, $k < d$", GREEN, w=1.6, h=0.8)
    psi = box(ax, 6.5, 1.5, r"decoder $\psi$", BLUE, w=1.5)
    xhat = box(ax, 8.5, 1.5, r"$\hat{x} = \psi(h)$", GREY, w=1.5)
    for a, b in [(x, phi), (phi, h), (h, psi), (psi, xhat)]:
        arrow(ax, a, b)
    ax.annotate("", xy=(0.8, 1.05), xytext=(8.5, 1.05), arrowprops=dict(arrowstyle="<->", color=RED, linewidth=1.2,
                                                                         connectionstyle="arc3,rad=-0.12"))
    ax.text(4.65, 0.2, r"loss $\Vert x - \hat{x} \Vert^2$: the input is its own target", ha="center",
            fontsize=10, color=RED)
    return fig


def simclr() -> plt.Figure:
    """Section 4.3: two augmentations, the encoder f, the head g, and NT-Xent's positives and negatives."""
    fig, ax = canvas(11.0, 3.8)
    x = box(ax, 0.8, 1.9, "image $x$", GREY, w=1.2)
    rows = {}
    for name, y in (("i", 3.0), ("j", 0.8)):
        view = box(ax, 2.8, y, rf"view $\tilde{{x}}_{name} = t_{name}(x)$", ORANGE, w=1.9)
        enc = box(ax, 4.9, y, "encoder $f$", BLUE, w=1.3)
        rep = box(ax, 6.6, y, rf"$h_{name}$", GREEN, w=0.9)
        head = box(ax, 8.1, y, "head $g$", BLUE, w=1.1)
        z = box(ax, 9.6, y, rf"$z_{name}$", GREEN, w=0.9)
        arrow(ax, x, view)
        for a, b in [(view, enc), (enc, rep), (rep, head), (head, z)]:
            arrow(ax, a, b)
        rows[name] = z
    ax.annotate("", xy=(9.95, 2.7), xytext=(9.95, 1.1), arrowprops=dict(arrowstyle="<->", color="#2e7d32",
                                                                        linewidth=1.5))
    ax.text(10.1, 1.9, "positive pair:\npull together", fontsize=9, color="#2e7d32", va="center")
    ax.text(8.1, 1.9, "the other $2N - 2$ views\nof the batch: negatives,\npushed away by NT-Xent",
            ha="center", va="center", fontsize=9, color=RED)
    ax.text(1.75, 1.9, "two random\naugmentations", ha="left", va="center", fontsize=9)
    ax.text(6.6, 3.55, "kept for the task", ha="center", fontsize=9)
    ax.text(8.85, 3.55, "used by the loss only", ha="center", fontsize=9)
    return fig


def moco() -> plt.Figure:
    """Chapter 5: the query encoder, the momentum key encoder, and the queue of negative keys."""
    fig, ax = canvas(11.0, 3.8)
    xq = box(ax, 0.8, 2.9, r"view $\tilde{x}_q$", ORANGE, w=1.2)
    xk = box(ax, 0.8, 0.9, r"view $\tilde{x}_k$", ORANGE, w=1.2)
    fq = box(ax, 3.4, 2.9, "query encoder\n" + r"$\theta_q$ (trained)", BLUE, w=1.9, h=0.8)
    fk = box(ax, 3.4, 0.9, "key encoder\n" + r"$\theta_k \leftarrow m\theta_k + (1-m)\theta_q$", GREY, w=2.9,
             h=0.8)
    q = box(ax, 5.9, 2.9, "query $q$", GREEN, w=1.2)
    k = box(ax, 5.9, 0.9, "key $k^+$", GREEN, w=1.2)
    queue = box(ax, 8.9, 0.9, r"queue of $K$ keys" + "\n(older batches)", GREY, w=2.2, h=0.8)
    loss = box(ax, 8.9, 2.9, r"InfoNCE: $q$ against" + "\n" + r"$k^+$ and the $K$ keys", RED + "22", w=2.4,
               h=0.8)
    for a, b in [(xq, fq), (fq, q), (xk, fk), (fk, k), (q, loss), (queue, loss)]:
        arrow(ax, a, b)
    arrow(ax, k, queue, "enqueued, oldest\nkeys dropped", offset=-0.75)
    arrow(ax, k, loss, "positive", colour="#2e7d32", offset=0.05)
    arrow(ax, fq, fk, "", dashed=True, colour="#555555")
    ax.text(3.55, 1.9, "no gradient: a slow moving average", fontsize=9, color="#555555", va="center")
    return fig


DIAGRAMS: dict[str, Callable[[], plt.Figure]] = {
    "backward_pass": backward_pass,
    "skipgram": skipgram,
    "autoencoder": autoencoder,
    "simclr": simclr,
    "moco": moco,
}


def render(make: Callable[[], plt.Figure]) -> bytes:
    """The SVG bytes of one diagram, the same on every run."""
    with plt.rc_context({"svg.hashsalt": "sslbook", "font.family": "DejaVu Sans"}):
        fig = make()
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
        plt.close(fig)
    return buffer.getvalue().encode("utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="compare with the committed files; write nothing")
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    stale = []
    for name, make in DIAGRAMS.items():
        path = OUT / f"{name}.svg"
        svg = render(make)
        if args.check:
            if not path.exists() or path.read_bytes() != svg:
                stale.append(path.name)
        else:
            path.write_bytes(svg)
            print(f"wrote {path.relative_to(OUT.parent.parent)}")
    if stale:
        print(f"stale: {', '.join(stale)}; run python tools/diagrams.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
