"""Benchmark: how many CBOW epochs fit in the time of 5 skip-gram epochs.

Run from the repository root with the venv active, on an otherwise idle
machine:

    python benchmarks/word2vec_budget.py               # three repeats
    python benchmarks/word2vec_budget.py --repeats 5

Section 4.1 chooses Word2Vec's settings at a stated time budget: the time of
skip-gram with window 5 at gensim's 5 epochs. This script trains, on the
book's corpus (the Wikipedia sample cut at gensim's 10,000-word limit) with
the page's settings (100 dimensions, ``min_count=5``, one worker), CBOW with
windows 5, 10 and 15 for 10 epochs and skip-gram with window 5 for 5, in turn,
``--repeats`` times, and prints each setting's mean seconds per epoch and the
number of CBOW epochs that fit in the budget. The page fixes those numbers in
its code (``budget_epochs``), since a timing varies from run to run.
"""

from __future__ import annotations

import argparse
import statistics
import time

from gensim.models import Word2Vec

from sslbook.text import cut_texts, wiki_sample

#: (sg, window) -> epochs timed; skip-gram with window 5 is the budget.
TIMED = {(0, 5): 10, (0, 10): 10, (0, 15): 10, (1, 5): 5}


def seconds_per_epoch(sentences, repeats: int) -> dict[tuple, float]:
    """The mean wall-clock seconds per epoch of each setting of TIMED."""
    runs: dict[tuple, list[float]] = {key: [] for key in TIMED}
    for _ in range(repeats):
        for (sg, window), epochs in TIMED.items():
            start = time.perf_counter()
            Word2Vec(
                sentences=sentences,
                seed=0,
                vector_size=100,
                min_count=5,
                workers=1,
                sg=sg,
                window=window,
                epochs=epochs,
            )
            runs[sg, window].append((time.perf_counter() - start) / epochs)
    return {key: statistics.mean(values) for key, values in runs.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    per_epoch = seconds_per_epoch(cut_texts(wiki_sample()), args.repeats)
    budget = 5 * per_epoch[1, 5]
    print(f"budget: 5 skip-gram epochs, window 5 = {budget:.1f} s")
    for (sg, window), seconds in per_epoch.items():
        name = "skip-gram" if sg else "CBOW"
        print(
            f"{name}, window {window}: {seconds:.3f} s per epoch, "
            f"{budget / seconds:.1f} epochs in the budget"
        )


if __name__ == "__main__":
    main()
