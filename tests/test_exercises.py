import contextlib
import doctest
import io
import re

import nbformat
import numpy as np
import pytest
import torch
from torch.nn import functional as F

from conftest import ROOT
from sslbook.exercises import (
    ExerciseFailed,
    check_first_last_ratio,
    check_gradient_descent,
    check_momentum_update,
    check_nt_xent,
    check_paired_interval,
    check_pca_reconstruction,
    check_sgns_loss,
    check_skipgram_pairs,
    check_tfidf,
)
from sslbook.gradients import first_last_ratio, layer_gradient_norms
from sslbook.losses import nt_xent_loss
from sslbook.word2vec import sgns_loss


def todo(*args):
    raise NotImplementedError("write it here")


# --- right answers pass, templates are reported, not raised ------------------


def nt_xent_by_hand(z1, z2, temperature):
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    n = len(z1)
    logits = (z @ z.T / temperature).fill_diagonal_(float("-inf"))
    return F.cross_entropy(logits, (torch.arange(2 * n) + n) % (2 * n))


def tfidf_by_hand(counts):
    counts = np.asarray(counts, dtype=float)
    weights = counts * np.log2(
        len(counts) / np.maximum((counts > 0).sum(axis=0), 1)
    )
    norms = np.linalg.norm(weights, axis=1, keepdims=True)
    return np.divide(
        weights, norms, out=np.zeros_like(weights), where=norms > 0
    )


def pca_by_hand(x, k):
    mean = x.mean(axis=0)
    _, _, vt = np.linalg.svd(x - mean, full_matrices=False)
    return mean + (x - mean) @ vt[:k].T @ vt[:k]


def ratio_by_hand(model, inputs, targets):
    loss = F.cross_entropy(model(inputs), targets)
    weights = [m.weight for m in model if isinstance(m, torch.nn.Linear)]
    grads = torch.autograd.grad(loss, weights)
    return (grads[0].norm() / grads[-1].norm()).item()


def gd_by_hand(loss_fn, theta0, lr, steps):
    theta, path = theta0.clone(), [theta0.clone()]
    for _ in range(steps):
        theta.requires_grad_(True)
        (grad,) = torch.autograd.grad(loss_fn(theta), theta)
        theta = (theta - lr * grad).detach()
        path.append(theta)
    return torch.stack(path)


def gd_in_place(loss_fn, theta0, lr, steps):
    path = [theta0.clone()]
    for _ in range(steps):
        theta = theta0.clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(loss_fn(theta), theta)
        theta0 -= lr * grad
        path.append(theta0.clone())
    return torch.stack(path)


def pairs_by_hand(ids, window):
    return [
        (c, ids[j])
        for i, c in enumerate(ids)
        for j in range(max(0, i - window), min(len(ids), i + window + 1))
        if j != i
    ]


def momentum_by_hand(key, query, m):
    with torch.no_grad():
        for k, q in zip(key.parameters(), query.parameters()):
            k.copy_(m * k + (1 - m) * q)
        for k, q in zip(key.buffers(), query.buffers()):
            k.copy_(q)


def interval_by_hand(a, b):
    from scipy import stats

    d = np.subtract(a, b)
    half = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
    return d.mean() - half, d.mean() + half


def momentum_params_only(key, query, m):
    with torch.no_grad():
        for k, q in zip(key.parameters(), query.parameters()):
            k.copy_(m * k + (1 - m) * q)


def momentum_replacing(key, query, m):
    for (name, k), q in zip(list(key.named_parameters()), query.parameters()):
        module_name, _, attr = name.rpartition(".")
        setattr(
            key.get_submodule(module_name),
            attr,
            torch.nn.Parameter((m * k + (1 - m) * q).detach()),
        )
    for k, q in zip(key.buffers(), query.buffers()):
        k.copy_(q)


def momentum_moving_the_query(key, query, m):
    momentum_by_hand(key, query, m)
    with torch.no_grad():
        for q, k in zip(query.parameters(), key.parameters()):
            q.copy_(k)


RIGHT = [
    (check_skipgram_pairs, pairs_by_hand),
    (check_momentum_update, momentum_by_hand),
    (check_paired_interval, interval_by_hand),
    (check_gradient_descent, gd_by_hand),
    (check_nt_xent, nt_xent_by_hand),
    (
        check_sgns_loss,
        lambda v, u, n: (
            -(
                F.logsigmoid((u * v).sum(-1))
                + F.logsigmoid(-(n @ v[:, :, None])[..., 0]).sum(-1)
            ).mean()
        ),
    ),
    (check_first_last_ratio, ratio_by_hand),
    (check_tfidf, tfidf_by_hand),
    (check_pca_reconstruction, pca_by_hand),
]


@pytest.mark.parametrize(
    "checker, solution", RIGHT, ids=lambda x: getattr(x, "__name__", "")
)
def test_a_right_answer_passes_and_says_so(checker, solution, capsys):
    assert checker(solution) is None
    assert capsys.readouterr().out.startswith("Correct: ")


@pytest.mark.parametrize(
    "checker", [c for c, _ in RIGHT], ids=lambda c: c.__name__
)
def test_the_template_is_reported_not_raised(checker, capsys):
    assert checker(todo) is None
    assert capsys.readouterr().out == (
        "Not implemented yet: todo raised "
        "NotImplementedError('write it here').\n"
    )


def test_the_package_references_pass_their_own_checkers(capsys):
    check_nt_xent(nt_xent_loss)
    check_sgns_loss(sgns_loss)
    check_first_last_ratio(
        lambda m, x, y: first_last_ratio(
            layer_gradient_norms(m, x, y, F.cross_entropy)
        )
    )
    assert capsys.readouterr().out.count("Correct: ") == 3


def test_the_ratio_checker_leaves_the_global_rng_alone():
    before = torch.random.get_rng_state()
    check_first_last_ratio(ratio_by_hand)
    assert torch.equal(torch.random.get_rng_state(), before)


# --- wrong answers fail, and the message says how ----------------------------


def nt_xent_detached_denominator(z1, z2, temperature):
    """Right value, wrong gradient: the negatives' terms carry none."""
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    n = len(z1)
    sims = z @ z.T / temperature
    positives = sims[torch.arange(2 * n), (torch.arange(2 * n) + n) % (2 * n)]
    log_denominator = (
        sims.fill_diagonal_(float("-inf")).logsumexp(dim=1).detach()
    )
    return (log_denominator - positives).mean()


WRONG = [
    (
        check_skipgram_pairs,
        lambda ids, w: pairs_by_hand(ids, w - 1),
        "value: ",
    ),  # window one too small
    (
        check_skipgram_pairs,
        lambda ids, w: (
            [(c, x) for c, x in pairs_by_hand(ids, w)] + [(ids[0], ids[0])]
        ),
        "value: ",
    ),
    (
        check_skipgram_pairs,
        lambda ids, w: [
            (c, x)
            for i, c in enumerate(ids)
            for j, x in enumerate(ids)
            if 0 < j - i <= w
        ],
        "value: ",
    ),  # only the right-hand context
    (check_skipgram_pairs, lambda ids, w: ids, "type: "),
    (
        check_momentum_update,
        lambda k, q, m: momentum_by_hand(k, q, 1 - m),
        "value: ",
    ),  # m and 1 - m swapped
    (
        check_momentum_update,
        momentum_params_only,
        "value: ",
    ),  # BatchNorm statistics not copied
    (check_momentum_update, momentum_replacing, "value: "),
    (check_momentum_update, momentum_moving_the_query, "value: "),
    (
        check_paired_interval,
        lambda a, b: np.array(interval_by_hand(a, b)) * 0.9,
        "value: ",
    ),
    (
        check_paired_interval,
        lambda a, b: tuple(
            __import__("scipy.stats")
            .stats.ttest_ind(a, b)
            .confidence_interval()
        ),
        "value: ",
    ),  # unpaired
    (
        check_paired_interval,
        lambda a, b: (
            np.mean(np.subtract(a, b))
            + np.array([-1.96, 1.96])
            * np.std(np.subtract(a, b), ddof=1)
            / np.sqrt(len(a))
        ),
        "value: ",
    ),  # normal, not t
    (
        check_paired_interval,
        lambda a, b: np.array([interval_by_hand(a, b)]),
        "shape: ",
    ),
    (check_paired_interval, lambda a, b: "low, high", "type: "),
    (check_gradient_descent, gd_in_place, "value: "),  # modifies theta0
    (
        check_gradient_descent,
        lambda f, t, lr, n: gd_by_hand(f, t, lr, n)[1:],
        "shape: ",
    ),  # no start row
    (
        check_gradient_descent,
        lambda f, t, lr, n: gd_by_hand(f, t, lr / 2, n),
        "value: ",
    ),  # ignores lr
    (
        check_gradient_descent,
        lambda f, t, lr, n: gd_by_hand(f, t, -lr, n),
        "value: ",
    ),  # ascends
    (
        check_nt_xent,
        lambda z1, z2, t: nt_xent_loss(z1, z2, 0.5),
        "value: ",
    ),  # ignores τ
    (
        check_nt_xent,
        lambda z1, z2, t: F.cross_entropy(
            (torch.cat([z1, z2]) @ torch.cat([z1, z2]).T / t).fill_diagonal_(
                float("-inf")
            ),
            (torch.arange(2 * len(z1)) + len(z1)) % (2 * len(z1)),
        ),
        "value: ",
    ),  # no normalisation
    (
        check_nt_xent,
        lambda z1, z2, t: F.cross_entropy(
            (
                F.normalize(torch.cat([z1, z2]), dim=1)
                @ F.normalize(torch.cat([z1, z2]), dim=1).T
                / t
            ).fill_diagonal_(float("-inf")),
            (torch.arange(2 * len(z1)) + len(z1)) % (2 * len(z1)),
            reduction="none",
        ),
        "shape: ",
    ),  # per anchor
    (check_nt_xent, nt_xent_detached_denominator, "gradient: "),
    (
        check_nt_xent,
        lambda z1, z2, t: nt_xent_loss(z1, z2, t).item(),
        "gradient: ",
    ),  # a float has no gradient
    (check_sgns_loss, lambda v, u, n: -sgns_loss(v, u, n), "value: "),  # sign
    (
        check_sgns_loss,
        lambda v, u, n: sgns_loss(v, u, n) * len(v),
        "value: ",
    ),  # sum, not mean
    (
        check_sgns_loss,
        lambda v, u, n: sgns_loss(v, u, n.detach()),
        "gradient: ",
    ),
    (
        check_sgns_loss,
        lambda v, u, n: -(F.logsigmoid((u * v).sum(-1))),
        "shape: ",
    ),
    (
        check_first_last_ratio,
        lambda m, x, y: 1 / ratio_by_hand(m, x, y),
        "value: ",
    ),  # last over first
    (
        check_first_last_ratio,
        lambda m, x, y: np.array([ratio_by_hand(m, x, y)]),
        "shape: ",
    ),
    (check_tfidf, lambda c: tfidf_by_hand(c).T, "shape: "),
    (
        check_tfidf,
        lambda c: (
            tfidf_by_hand(c)
            * np.linalg.norm(np.asarray(c) * 1.0, axis=1, keepdims=True)
        ),
        "value: ",
    ),
    (
        check_tfidf,
        lambda c: np.nan_to_num(tfidf_by_hand(c) / np.log(2)),
        "value: ",
    ),  # rows not of unit length
    (check_tfidf, lambda c: "weights", "type: "),
    (
        check_pca_reconstruction,
        lambda x, k: (
            x
            @ np.linalg.svd(x, full_matrices=False)[2][:k].T
            @ np.linalg.svd(x, full_matrices=False)[2][:k]
        ),
        "value: ",
    ),  # not centred
    (
        check_pca_reconstruction,
        lambda x, k: pca_by_hand(x, 1),
        "value: ",
    ),  # k ignored
    (
        check_pca_reconstruction,
        lambda x, k: (
            (x - x.mean(0))
            @ np.linalg.svd(x - x.mean(0), full_matrices=False)[2][:k].T
        ),
        "shape: ",
    ),
    (
        check_pca_reconstruction,
        lambda x, k: pca_by_hand(x, k) * np.nan,
        "value: ",
    ),
]


@pytest.mark.parametrize("checker, wrong, kind", WRONG)
def test_a_wrong_answer_fails_with_what_is_wrong(checker, wrong, kind):
    with pytest.raises(ExerciseFailed) as info:
        checker(wrong)
    assert str(info.value).startswith(kind), str(info.value)


def test_an_unexpected_error_in_the_readers_code_is_not_hidden():
    def broken(*args):
        raise ZeroDivisionError("oops")

    with pytest.raises(ZeroDivisionError):
        check_nt_xent(broken)


# --- the exercises in the book: every solution passes its checker ------------

# Every notebook ends with 3 to 5 exercises.
WITH_EXERCISES = sorted(
    str(p.relative_to(ROOT))
    for p in (ROOT / "chapters").rglob("*.ipynb")
    if ".ipynb_checkpoints" not in p.parts
)
EXERCISE = re.compile(r"^`{3,}\{exercise\}\s*(.*)\n:label: (\S+)", flags=re.M)
SOLUTION = re.compile(
    r"^(`{3,})\{solution\} (\S+)\n(.*?)^\1\s*$", flags=re.M | re.S
)
PYTHON = re.compile(r"^```python\n(.*?)^```\s*$", flags=re.M | re.S)


def markdown_of(notebook: str) -> str:
    cells = nbformat.read(ROOT / notebook, as_version=4).cells
    return "\n\n".join(
        cell.source for cell in cells if cell.cell_type == "markdown"
    )


def solutions() -> list[tuple[str, str, str]]:
    return [
        (notebook, label, body)
        for notebook in WITH_EXERCISES
        for _, label, body in SOLUTION.findall(markdown_of(notebook))
    ]


@pytest.mark.parametrize("notebook", WITH_EXERCISES)
def test_each_notebook_has_three_to_five_exercises_each_with_its_solution(
    notebook,
):
    text = markdown_of(notebook)
    exercises = [label for _, label in EXERCISE.findall(text)]
    assert 3 <= len(exercises) <= 5, exercises
    assert sorted(label for _, label, _ in SOLUTION.findall(text)) == sorted(
        exercises
    )


def chapter_of(notebook: str) -> str:
    return notebook.split("/")[1][:2]  # chapters/03_algorithms/... -> "03"


def test_every_chapter_has_an_implement_it_yourself_exercise():
    implemented = {
        chapter_of(notebook)
        for notebook in WITH_EXERCISES
        for title, _ in EXERCISE.findall(markdown_of(notebook))
        if title.startswith("Implement it yourself")
    }
    assert implemented == {"01", "02", "03", "04", "05", "06"}


def test_exercise_labels_are_unique_across_the_book():
    labels = [
        label
        for notebook in WITH_EXERCISES
        for _, label in EXERCISE.findall(markdown_of(notebook))
    ]
    assert len(labels) == len(set(labels))


CODED = [
    (notebook, label, code)
    for notebook, label, body in solutions()
    for code in PYTHON.findall(body)
]


def test_the_solution_parser_finds_the_coded_solutions():
    implement = [
        label
        for notebook in WITH_EXERCISES
        for title, label in EXERCISE.findall(markdown_of(notebook))
        if title.startswith("Implement it yourself")
    ]
    assert sorted(label for _, label, _ in CODED) == sorted(
        implement
    )  # one coded solution each


@pytest.mark.parametrize(
    "notebook, label, code", CODED, ids=[label for _, label, _ in CODED]
)
def test_every_coded_solution_passes_its_checker(notebook, label, code):
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(
            compile(code, f"{notebook}::{label}", "exec"),
            {"__name__": "__solution__"},
        )
    calls = len(re.findall(r"^check_\w+\(", code, flags=re.M))
    assert calls >= 1, "a coded solution must call its checker"
    assert printed.getvalue().count("Correct: ") == calls, printed.getvalue()


@pytest.mark.parametrize("notebook", WITH_EXERCISES)
def test_the_templates_run_and_say_they_are_not_implemented(notebook):
    """The reader's templates are stored as run: the checker's 'Not implemented
    yet' line, no error.
    """
    cells = nbformat.read(ROOT / notebook, as_version=4).cells
    templates = [
        cell
        for cell in cells
        if cell.cell_type == "code"
        and "raise NotImplementedError" in cell.source
    ]
    implement = [
        t
        for t, _ in EXERCISE.findall(markdown_of(notebook))
        if t.startswith("Implement it yourself")
    ]
    assert len(templates) == (1 if implement else 0)
    for cell in templates:
        text = "".join(
            out.get("text", "")
            for out in cell.outputs
            if out.output_type == "stream"
        )
        assert text.count("Not implemented yet: ") == cell.source.count(
            "raise NotImplementedError"
        )


def test_the_messages_name_the_mistake():
    with pytest.raises(
        ExerciseFailed, match="theta0 was modified; start from a copy"
    ):
        check_gradient_descent(gd_in_place)
    with pytest.raises(
        ExerciseFailed, match="the reconstruction is not finite"
    ):
        check_pca_reconstruction(lambda x, k: pca_by_hand(x, k) * np.nan)
    with pytest.raises(
        ExerciseFailed,
        match=r"the query's .* changed; only the key may change",
    ):
        check_momentum_update(momentum_moving_the_query)
    with pytest.raises(ExerciseFailed, match=r"should be .*, got .*"):
        check_sgns_loss(lambda v, u, n: -sgns_loss(v, u, n))


def test_the_module_example_runs():
    import sslbook.exercises

    assert doctest.testmod(sslbook.exercises).failed == 0
