"""Checkers for the book's "implement it yourself" exercises.

Each checker takes the reader's function, calls it on a few random inputs,
and compares it with the package's reference (or, for TF-IDF and PCA, with
gensim's and scikit-learn's). It says what is wrong in plain words: the
shape, the value, or the gradient.

- A function that still raises ``NotImplementedError`` (the exercise's
  template) gets a short "not implemented yet" line; nothing is raised, so a
  notebook with an unsolved exercise runs.
- A wrong function raises :class:`ExerciseFailed`, whose message names the
  first difference found.
- A right one gets one line that says what was checked.

The checkers return nothing, so that a notebook cell that ends with one shows
only its line.

Example
-------
>>> from sslbook.exercises import check_nt_xent
>>> from sslbook.losses import nt_xent_loss
>>> check_nt_xent(nt_xent_loss)
Correct: nt_xent_loss matches sslbook.losses.nt_xent_loss on 4 random batches: values and gradients.
"""  # noqa: E501 (a doctest's expected output, one line)

from __future__ import annotations

from typing import Callable

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from sslbook.gradients import first_last_ratio, layer_gradient_norms
from sslbook.losses import nt_xent_loss
from sslbook.momentum import momentum_update_
from sslbook.optim import gradient_descent, quadratic, rosenbrock
from sslbook.stats import SeedScores, compare
from sslbook.word2vec import sgns_loss, skipgram_pairs

__all__ = [
    "ExerciseFailed",
    "check_first_last_ratio",
    "check_gradient_descent",
    "check_momentum_update",
    "check_nt_xent",
    "check_pca_reconstruction",
    "check_sgns_loss",
    "check_skipgram_pairs",
    "check_tfidf",
    "check_paired_interval",
]


class ExerciseFailed(AssertionError):
    """The reader's function differs from the reference; the message says
    how.
    """


def _name(fn: Callable) -> str:
    return getattr(fn, "__name__", type(fn).__name__)


def _call(fn: Callable, *args):
    """``fn(*args)``, or ``None`` after a "not implemented yet" line if it
    raises NotImplementedError.
    """
    try:
        return fn(*args)
    except NotImplementedError as error:
        print(
            f"Not implemented yet: {_name(fn)} raised "
            f"NotImplementedError({str(error)!r})."
        )
        return None


def _as_tensor(result, what: str) -> torch.Tensor:
    if isinstance(result, torch.Tensor):
        return result
    if isinstance(result, (float, int, np.floating, np.integer, np.ndarray)):
        return torch.as_tensor(np.asarray(result, dtype=np.float64))
    raise ExerciseFailed(
        f"type: {what} must be a number, a numpy array or a torch tensor, "
        f"got {type(result).__name__}"
    )


def _check_shape(
    result: torch.Tensor, expected: tuple, what: str, inputs: str
) -> None:
    if tuple(result.shape) != tuple(expected):
        raise ExerciseFailed(
            f"shape: for {inputs}, {what} must have shape {tuple(expected)}, "
            f"got {tuple(result.shape)}"
        )


def _check_value(
    result: torch.Tensor,
    expected: torch.Tensor,
    what: str,
    inputs: str,
    rtol: float,
    atol: float,
) -> None:
    got, want = result.detach().double(), expected.detach().double()
    if not torch.isfinite(got).all():
        raise ExerciseFailed(
            f"value: for {inputs}, {what} is not finite: "
            f"{got.flatten()[:4].tolist()}"
        )
    if not torch.allclose(got, want, rtol=rtol, atol=atol):
        worst = int((got - want).abs().flatten().argmax())
        raise ExerciseFailed(
            f"value: for {inputs}, {what} "
            f"should be {want.flatten()[worst].item():.6g}, "
            f"got {got.flatten()[worst].item():.6g}"
            + (f" (at flat index {worst})" if got.numel() > 1 else "")
        )


def _check_gradients(
    loss: torch.Tensor,
    reference: torch.Tensor,
    inputs: dict[str, torch.Tensor],
    where: str,
) -> None:
    if not loss.requires_grad:
        raise ExerciseFailed(
            f"gradient: for {where}, the result carries no gradient; "
            "compute it with torch operations on the "
            "inputs (no .item(), .detach() or numpy on the way)"
        )
    names = list(inputs)
    got = torch.autograd.grad(
        loss, [inputs[n] for n in names], allow_unused=True
    )
    want = torch.autograd.grad(
        reference, [inputs[n] for n in names], allow_unused=True
    )
    for name, g, w in zip(names, got, want):
        g = torch.zeros_like(w) if g is None else g
        if not torch.allclose(g.double(), w.double(), rtol=1e-3, atol=1e-6):
            raise ExerciseFailed(
                f"gradient: for {where}, the gradient with respect to {name} "
                "differs from the reference's by up to "
                f"{(g - w).abs().max().item():.3g}, although the value matches"
            )


def _correct(fn: Callable, reference: str, cases: int, what: str) -> None:
    print(
        f"Correct: {_name(fn)} matches {reference} on {cases} random {what}."
    )


def check_gradient_descent(
    fn: Callable[[Callable, torch.Tensor, float, int], torch.Tensor],
) -> None:
    """Check ``fn(loss_fn, theta0, lr, steps)`` against
    :func:`sslbook.optim.gradient_descent`.

    ``fn`` runs ``steps`` updates ``θ ← θ − lr ∇J(θ)`` from the ``(d,)``
    tensor ``theta0``, without modifying it, and returns the ``(steps + 1, d)``
    path ``θ₀, θ₁, …``.
    """
    cases = [
        (quadratic, [-4.0, 1.0], 0.18, 5),
        (rosenbrock, [-1.0, 1.5], 1e-3, 20),
        (quadratic, [2.0, -3.0], 0.05, 0),
    ]
    for loss_fn, start, lr, steps in cases:
        theta0 = torch.tensor(start, dtype=torch.float64)
        inputs = (
            f"{loss_fn.__name__} from {start} with lr {lr} and {steps} steps"
        )
        result = _call(fn, loss_fn, theta0, lr, steps)
        if result is None:
            return None
        if not torch.equal(theta0, torch.tensor(start, dtype=torch.float64)):
            raise ExerciseFailed(
                f"value: for {inputs}, theta0 was modified; "
                "start from a copy (theta0.clone())"
            )
        result = _as_tensor(result, "the path")
        expected = gradient_descent(loss_fn, theta0, lr=lr, steps=steps)
        _check_shape(
            result,
            expected.shape,
            "the path (the start, then one row per step)",
            inputs,
        )
        _check_value(
            result, expected, "the path", inputs, rtol=1e-6, atol=1e-9
        )
    return _correct(fn, "sslbook.optim.gradient_descent", len(cases), "runs")


def check_nt_xent(
    fn: Callable[[torch.Tensor, torch.Tensor, float], torch.Tensor],
) -> None:
    """Check ``fn(z1, z2, temperature)`` against
    :func:`sslbook.losses.nt_xent_loss`.

    ``z1`` and ``z2`` are ``(N, d)`` embeddings of two views of N examples
    (not normalised); ``fn`` must return the scalar mean NT-Xent over the 2N
    anchors, differentiable with respect to both.
    """
    generator = torch.Generator().manual_seed(0)
    shapes_and_taus = [
        ((4, 8), 0.5),
        ((6, 3), 0.1),
        ((5, 16), 1.0),
        ((3, 8), 0.2),
    ]
    for (n, d), tau in shapes_and_taus:
        z1 = torch.randn(
            n, d, generator=generator, dtype=torch.float64, requires_grad=True
        )
        z2 = torch.randn(
            n, d, generator=generator, dtype=torch.float64, requires_grad=True
        )
        inputs = f"z1, z2 of shape ({n}, {d}) and temperature {tau}"
        result = _call(fn, z1, z2, tau)
        if result is None:
            return None
        result = _as_tensor(result, "the loss")
        reference = nt_xent_loss(z1, z2, temperature=tau)
        _check_shape(
            result, (), "the loss (a mean over the 2N anchors)", inputs
        )
        _check_value(
            result, reference, "the loss", inputs, rtol=1e-5, atol=1e-7
        )
        _check_gradients(result, reference, {"z1": z1, "z2": z2}, inputs)
    return _correct(
        fn,
        "sslbook.losses.nt_xent_loss",
        len(shapes_and_taus),
        "batches: values and gradients",
    )


def check_sgns_loss(
    fn: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor],
) -> None:
    """Check ``fn(v, u_context, u_negatives)`` against
    :func:`sslbook.word2vec.sgns_loss`.

    Shapes: ``v`` and ``u_context`` ``(B, d)``, ``u_negatives`` ``(B, K, d)``;
    ``fn`` returns the scalar ``−mean_b [log σ(u_c·v) + Σ_k log σ(−u_k·v)]``.
    """
    generator = torch.Generator().manual_seed(1)
    shapes = [(4, 3, 5), (7, 1, 2), (2, 5, 8)]
    for b, k, d in shapes:
        v, u_context = (
            torch.randn(
                b,
                d,
                generator=generator,
                dtype=torch.float64,
                requires_grad=True,
            )
            for _ in "vu"
        )
        u_negatives = torch.randn(
            b,
            k,
            d,
            generator=generator,
            dtype=torch.float64,
            requires_grad=True,
        )
        inputs = (
            f"v and u_context of shape ({b}, {d}) "
            f"and u_negatives of shape ({b}, {k}, {d})"
        )
        result = _call(fn, v, u_context, u_negatives)
        if result is None:
            return None
        result = _as_tensor(result, "the loss")
        reference = sgns_loss(v, u_context, u_negatives)
        _check_shape(result, (), "the loss (a mean over the batch)", inputs)
        _check_value(
            result, reference, "the loss", inputs, rtol=1e-5, atol=1e-7
        )
        _check_gradients(
            result,
            reference,
            {"v": v, "u_context": u_context, "u_negatives": u_negatives},
            inputs,
        )
    return _correct(
        fn,
        "sslbook.word2vec.sgns_loss",
        len(shapes),
        "batches: values and gradients",
    )


def _random_mlp(
    depth: int, width: int, activation: type[nn.Module], seed: int
) -> nn.Sequential:
    torch.manual_seed(seed)
    layers: list[nn.Module] = []
    for i in range(depth):
        layers += [nn.Linear(12 if i == 0 else width, width), activation()]
    return nn.Sequential(*layers, nn.Linear(width, 3)).double()


def check_first_last_ratio(
    fn: Callable[[nn.Module, torch.Tensor, torch.Tensor], float],
) -> None:
    """Check ``fn(model, inputs, targets)``: the first layer's gradient norm
    over the last layer's.

    ``model`` is an ``nn.Sequential`` MLP, the loss is the cross-entropy of
    ``model(inputs)`` against the class indices ``targets``, and each norm is
    the Frobenius norm of the gradient with respect to a layer's weight
    matrix. The reference is :func:`sslbook.gradients.first_last_ratio` of
    :func:`sslbook.gradients.layer_gradient_norms`.
    """
    rng_state = torch.random.get_rng_state()
    try:
        cases = [
            (3, 16, nn.Sigmoid, 0),
            (6, 8, nn.Sigmoid, 1),
            (4, 16, nn.ReLU, 2),
        ]
        for depth, width, activation, seed in cases:
            model = _random_mlp(depth, width, activation, seed)
            generator = torch.Generator().manual_seed(seed)
            inputs = torch.randn(
                32, 12, generator=generator, dtype=torch.float64
            )
            targets = torch.randint(0, 3, (32,), generator=generator)
            where = (
                f"a {depth}-hidden-layer {activation.__name__} MLP "
                f"of width {width} on a batch of 32"
            )
            result = _call(fn, model, inputs, targets)
            if result is None:
                return None
            result = _as_tensor(result, "the ratio")
            expected = first_last_ratio(
                layer_gradient_norms(model, inputs, targets, F.cross_entropy)
            )
            _check_shape(result, (), "the ratio (one number)", where)
            _check_value(
                result,
                torch.tensor(expected),
                "the ratio",
                where,
                rtol=1e-4,
                atol=0.0,
            )
    finally:
        torch.random.set_rng_state(rng_state)
    return _correct(
        fn, "sslbook.gradients.first_last_ratio", len(cases), "networks"
    )


def check_tfidf(fn: Callable[[np.ndarray], np.ndarray]) -> None:
    """Check ``fn(counts)`` against gensim's ``TfidfModel`` with its defaults.

    ``counts`` is a ``(documents, terms)`` array of term counts; ``fn``
    returns the ``(documents, terms)`` TF-IDF weights: the count times
    ``log2(documents / document frequency)``, each document's row then
    scaled to unit length (a row of zeros stays zero).
    """
    from gensim.matutils import sparse2full
    from gensim.models import TfidfModel

    rng = np.random.default_rng(2)
    shapes = [(4, 6), (7, 3), (5, 10)]
    for n_docs, n_terms in shapes:
        counts = rng.poisson(0.8, size=(n_docs, n_terms))
        counts[:, 0] = np.maximum(
            counts[:, 0], 1
        )  # a term in every document: its weight is 0
        inputs = f"a count matrix of shape ({n_docs}, {n_terms})"
        result = _call(fn, counts.copy())
        if result is None:
            return None
        result = _as_tensor(result, "the weights")
        corpus = [
            [(t, int(c)) for t, c in enumerate(row) if c] for row in counts
        ]
        model = TfidfModel(corpus)
        expected = np.stack(
            [sparse2full(model[doc], n_terms) for doc in corpus]
        ).astype(np.float64)
        _check_shape(result, expected.shape, "the weights", inputs)
        _check_value(
            result,
            torch.from_numpy(expected),
            "the weights",
            inputs,
            rtol=1e-4,
            atol=1e-6,
        )
    return _correct(fn, "gensim's TfidfModel", len(shapes), "count matrices")


def check_pca_reconstruction(
    fn: Callable[[np.ndarray, int], np.ndarray],
) -> None:
    """Check ``fn(x, k)``: each row of ``x`` projected on its top-``k``
    principal subspace.

    ``x`` is ``(n, d)``; ``fn`` returns the ``(n, d)`` reconstruction
    ``mean + (x − mean) V_k V_kᵀ``, where ``V_k`` holds the ``k`` leading
    principal directions of ``x``: the best rank-``k`` linear autoencoder's
    output. The reference is scikit-learn's ``PCA(k)``.
    """
    from sklearn.decomposition import PCA

    rng = np.random.default_rng(3)
    cases = [(50, 6, 2), (40, 10, 1), (80, 5, 4)]
    for n, d, k in cases:
        scales = np.linspace(
            3.0, 0.5, d
        )  # distinct variances, so the top-k subspace is well defined
        x = rng.normal(size=(n, d)) * scales + rng.normal(size=d)
        inputs = f"x of shape ({n}, {d}) and k = {k}"
        result = _call(fn, x.copy(), k)
        if result is None:
            return None
        result = _as_tensor(result, "the reconstruction")
        pca = PCA(n_components=k).fit(x)
        expected = pca.inverse_transform(pca.transform(x))
        _check_shape(result, expected.shape, "the reconstruction", inputs)
        _check_value(
            result,
            torch.from_numpy(expected),
            "the reconstruction",
            inputs,
            rtol=1e-4,
            atol=1e-6,
        )
    return _correct(fn, "scikit-learn's PCA", len(cases), "datasets")


def check_skipgram_pairs(fn: Callable[[list[int], int], list]) -> None:
    """Check ``fn(ids, window)``: every (centre, context) pair of one sentence.

    ``ids`` is a sentence as a list of word ids; ``fn`` returns the pairs
    ``(ids[i], ids[j])`` for every position ``i`` and every other position
    ``j`` with ``|i − j| ≤ window``, as a list of 2-tuples in any order. The
    reference is :func:`sslbook.word2vec.skipgram_pairs`.
    """
    cases = [
        ([0, 1, 2, 3, 4], 1),
        ([5, 2, 5, 7, 1, 2], 2),
        ([3, 4], 5),
        ([9], 2),
        ([1, 2, 3, 4, 5, 6, 7], 3),
    ]
    for ids, window in cases:
        inputs = f"the sentence {ids} and window {window}"
        result = _call(fn, list(ids), window)
        if result is None:
            return None
        try:
            got = sorted((int(c), int(x)) for c, x in result)
        except (TypeError, ValueError):
            raise ExerciseFailed(
                f"type: for {inputs}, return a list of (centre, context) "
                f"pairs, got {result!r}"
            ) from None
        if len(ids) < 2:
            expected = []
        else:
            vocab, centres, contexts, _ = skipgram_pairs(
                [[f"w{i}" for i in ids]], window
            )
            expected = sorted(
                (int(vocab[c][1:]), int(vocab[x][1:]))
                for c, x in zip(centres.tolist(), contexts.tolist())
            )
        if got != expected:
            missing = sorted(set(expected) - set(got))[:3]
            extra = sorted(set(got) - set(expected))[:3]
            detail = (
                f"missing {missing}"
                if missing
                else f"extra {extra}"
                if extra
                else "the same pairs, but not as often"
            )
            raise ExerciseFailed(
                f"value: for {inputs}, {len(expected)} pairs are expected, "
                f"got {len(got)}: {detail}"
            )
    return _correct(
        fn, "sslbook.word2vec.skipgram_pairs", len(cases), "sentences"
    )


def _small_net(seed: int) -> nn.Module:
    torch.manual_seed(seed)
    net = nn.Sequential(
        nn.Linear(4, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 2)
    ).double()
    with torch.no_grad():
        net[1].running_mean.normal_()
        net[1].running_var.uniform_(0.5, 2.0)
    return net


def check_momentum_update(
    fn: Callable[[nn.Module, nn.Module, float], None],
) -> None:
    """Check ``fn(key, query, m)``: MoCo's update of the key encoder, in place.

    Every parameter of ``key`` becomes ``m θ_k + (1 − m) θ_q``, every buffer
    of ``key`` (BatchNorm's running statistics) a copy of ``query``'s, and
    ``query`` is left unchanged. The reference is
    :func:`sslbook.momentum.momentum_update_`.
    """
    rng_state = torch.random.get_rng_state()
    try:
        cases = [0.99, 0.5, 0.0]
        for case, m in enumerate(cases):
            key, query = _small_net(2 * case), _small_net(2 * case + 1)
            expected = _small_net(2 * case)
            momentum_update_(expected, query, m)
            before = {
                name: t.clone() for name, t in query.state_dict().items()
            }
            tensors = list(key.parameters())
            inputs = f"m = {m} and a Linear-BatchNorm-ReLU-Linear network"
            try:
                fn(key, query, m)
            except NotImplementedError as error:
                print(
                    f"Not implemented yet: {_name(fn)} raised "
                    f"NotImplementedError({str(error)!r})."
                )
                return None
            if any(p is not t for p, t in zip(key.parameters(), tensors)):
                raise ExerciseFailed(
                    f"value: for {inputs}, "
                    "update the key's parameters in place (p.mul_(...)), "
                    "do not replace them"
                )
            for name, t in query.state_dict().items():
                if not torch.equal(t, before[name]):
                    raise ExerciseFailed(
                        f"value: for {inputs}, the query's {name} changed; "
                        "only the key may change"
                    )
            want = expected.state_dict()
            for name, t in key.state_dict().items():
                _check_value(
                    t.double(),
                    want[name].double(),
                    f"the key's {name}",
                    inputs,
                    rtol=1e-10,
                    atol=1e-12,
                )
    finally:
        torch.random.set_rng_state(rng_state)
    return _correct(
        fn,
        "sslbook.momentum.momentum_update_",
        len(cases),
        "pairs of networks",
    )


def check_paired_interval(
    fn: Callable[[list[float], list[float]], tuple[float, float]],
) -> None:
    """Check ``fn(a, b)``: the 95 % interval ``(low, high)`` of the mean
    paired difference.

    ``a`` and ``b`` are lists of per-seed scores on the same seeds, two or
    more values each. The reference is :func:`sslbook.evaluate.compare`, the
    book's rule for calling a difference.
    """
    cases = [
        ([0.90, 0.88, 0.91], [0.84, 0.85, 0.80]),
        ([0.5, 0.7, 0.6, 0.65], [0.55, 0.52, 0.61, 0.6]),
        ([1.0, 2.0, 3.0], [1.5, 2.5, 2.0]),
        ([0.1, 0.3], [0.2, 0.25]),
    ]
    for a, b in cases:
        inputs = f"a = {a} and b = {b}"
        result = _call(fn, list(a), list(b))
        if result is None:
            return None
        if isinstance(result, (tuple, list)) and all(
            isinstance(v, (float, int, np.floating)) for v in result
        ):
            result = np.asarray(result, dtype=np.float64)
        result = _as_tensor(result, "the interval")
        seeds = tuple(range(len(a)))
        verdict = compare(
            SeedScores(tuple(a), seeds), SeedScores(tuple(b), seeds), "a", "b"
        )
        _check_shape(result, (2,), "the interval (low, high)", inputs)
        expected = torch.tensor(
            [verdict.low, verdict.high], dtype=torch.float64
        )
        _check_value(
            result, expected, "the interval", inputs, rtol=1e-6, atol=1e-12
        )
    return _correct(
        fn,
        "sslbook.evaluate.compare's interval",
        len(cases),
        "pairs of score lists",
    )
