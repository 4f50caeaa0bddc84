"""Benchmark: one torch thread against two, on the book's own training steps.

Run from the repository root with the venv active, on an otherwise idle machine:

    python benchmarks/threads.py

The book's notebooks use two threads (``sslbook.repro.DEFAULT_THREADS``). This
times one training step (forward, backward, optimiser) of the two kinds of
network that take most of the book's time, with 1 and then 2 threads:

- the 20-hidden-layer MLP of chapter 2 (128 units, batches of 128, SGD);
- the small convolutional encoder of chapters 3 to 6 with a linear head
  (BatchNorm, batches of 64 and 256, Adam).

Each setting runs in a fresh process, so that the thread pool is set before
torch does any work. ``benchmarks/notebook_times.md`` reports a run. Do not
time anything while another process is busy: on two cores, two threads then
compete with it, and one busy neighbour has made a matrix product five times
slower.
"""

from __future__ import annotations

import json
import subprocess
import sys

STEP = """
import json, sys, time, torch
from torch import nn
from sslbook.models import ConvEncoder, DeepMLP, MLPConfig
torch.set_num_threads({threads})
torch.manual_seed(0)

def ms_per_step(model, optimizer, x, y, steps=60, warm=10):
    for i in range(steps):
        if i == warm:
            start = time.perf_counter()
        loss = nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return 1000 * (time.perf_counter() - start) / (steps - warm)

mlp = DeepMLP(MLPConfig(depth=20, hidden=128))
result = {{"MLP, batch 128": ms_per_step(
    mlp, torch.optim.SGD(mlp.parameters(), lr=0.01, momentum=0.9),
    torch.randn(128, 784), torch.randint(0, 10, (128,)), steps=300, warm=50)}}
for batch in (64, 256):
    cnn = nn.Sequential(ConvEncoder(1, 28, 64, batchnorm=True), nn.ReLU(), nn.Linear(64, 10))
    result[f"CNN, batch {{batch}}"] = ms_per_step(
        cnn, torch.optim.Adam(cnn.parameters(), 1e-3),
        torch.randn(batch, 1, 28, 28), torch.randint(0, 10, (batch,)))
print(json.dumps(result))
"""


def main() -> int:
    runs = {}
    for threads in (1, 2):
        out = subprocess.run([sys.executable, "-c", STEP.format(threads=threads)],
                             capture_output=True, text=True, check=True)
        runs[threads] = json.loads(out.stdout)
    print(f"{'training step':<16}{'1 thread (ms)':>15}{'2 threads (ms)':>16}{'speed-up':>10}")
    for name in runs[1]:
        one, two = runs[1][name], runs[2][name]
        print(f"{name:<16}{one:>15.2f}{two:>16.2f}{one / two:>10.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
