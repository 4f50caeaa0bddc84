"""Benchmark: NT-Xent forward + backward against a naive loop and against its floor.

Run from the repository root with the venv active:

    python benchmarks/nt_xent.py            # batch 256 and 4096, dim 128, on the CPU
    python benchmarks/nt_xent.py --device cuda

For each batch size N it times, forward and backward together:

- ``sslbook.losses.nt_xent_loss`` on two (N, 128) views;
- a naive implementation that loops over the 2N anchors in Python;
- the floor: one plain (2N × 128) @ (128 × 2N) matmul and a cross-entropy over
  its rows, the two operations NT-Xent cannot avoid.

and prints the ratios. The README reports a run; timings depend on the machine.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch.nn import functional as F

from sslbook.losses import nt_xent_loss


def naive_nt_xent(z1: torch.Tensor, z2: torch.Tensor, temperature: float) -> torch.Tensor:
    """Eq. 1 of Chen et al. (2020), one anchor at a time."""
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    n2 = len(z)
    losses = []
    for i in range(n2):
        logits = z @ z[i] / temperature
        logits = torch.cat([logits[:i], logits[i + 1 :]])  # drop the anchor itself
        positive = (i + n2 // 2) % n2
        positive -= positive > i  # its index once the anchor is dropped
        losses.append(-F.log_softmax(logits, dim=0)[positive])
    return torch.stack(losses).mean()


def floor(z1: torch.Tensor, z2: torch.Tensor, temperature: float) -> torch.Tensor:
    z = torch.cat([z1, z2])
    return F.cross_entropy(z @ z.T / temperature, torch.arange(len(z), device=z.device))


def time_it(fn, n: int, dim: int, device: str, repeats: int) -> float:
    """Median seconds of forward + backward."""
    times = []
    for r in range(repeats + 1):
        z1 = torch.randn(n, dim, device=device, requires_grad=True)
        z2 = torch.randn(n, dim, device=device, requires_grad=True)
        if device == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        fn(z1, z2, 0.5).backward()
        if device == "cuda":
            torch.cuda.synchronize()
        if r > 0:  # the first run warms up
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--batch", type=int, nargs="+", default=[256, 4096])
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    torch.manual_seed(0)
    print(f"device {args.device}, dim {args.dim}, torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"{'N':>6} {'nt_xent_loss':>14} {'floor':>10} {'ratio':>6} {'naive loop':>12} {'speed-up':>9}")
    for n in args.batch:
        ours = time_it(nt_xent_loss, n, args.dim, args.device, args.repeats)
        base = time_it(floor, n, args.dim, args.device, args.repeats)
        naive = time_it(naive_nt_xent, n, args.dim, args.device, 1 if n > 1024 else args.repeats)
        print(f"{n:>6} {ours * 1e3:>11.2f} ms {base * 1e3:>7.2f} ms {ours / base:>6.2f} {naive * 1e3:>9.0f} ms {naive / ours:>8.0f}x")


if __name__ == "__main__":
    main()
