"""Glue a measurement into the book's text with what a re-run needs to check
it.

Every number that the prose quotes comes from the code through myst-nb's
``glue``. The same seeds give other last digits on another processor, so the
book's notebook check (``tools/nbcheck.py``) compares a re-run with the stored
notebook within each measurement's own uncertainty. For that, a mean over
seeds is glued with its spread and its number of seeds, and a setting chosen
on validation with its margin over the runner-up:

- :func:`glue_spread` glues ``key_sd`` and ``key_n`` beside a mean already
  glued as ``key``;
- :func:`glue_margin` glues ``key_margin`` and ``key_margin_se`` beside a
  setting already glued as ``key`` (see
  :func:`sslbook.evaluate.choice_margin`);
- :func:`glue_call` glues a call of the book's rule as ``key`` (its words;
  ``key_zh`` in Chinese), with ``key_lo`` and ``key_hi`` (the interval of the
  difference), ``key_n`` (the seeds), ``key_repeat`` (the estimated chance
  that fresh seeds give the same call; see
  :meth:`sslbook.evaluate.Comparison.repeat_probability`) and ``key_change``
  (the estimated chance that a re-run gives another call, with the observed
  difference and spread themselves uncertain; see
  :meth:`sslbook.evaluate.Comparison.change_probability`);
- :func:`glue_settings` glues a supervised run's chosen ``(lr, weight_decay,
  steps)`` as ``key`` in words, and as ``key_zh`` in Chinese, without the
  weight decay where the grid did not search it (``with_weight_decay=False``).

Everything is glued with ``display=False``: the values appear only where the
text pastes them.

Example
-------
>>> from sslbook.evaluate import SeedScores
>>> from sslbook.glue import spread_record
>>> spread_record("acc", SeedScores((0.81, 0.84, 0.83), (0, 1, 2)))
{'acc_sd': 0.015, 'acc_n': 3}
>>> from sslbook.evaluate import compare
>>> from sslbook.glue import call_record
>>> raw = SeedScores((0.75, 0.77, 0.76), (0, 1, 2))
>>> call_record(
...     "v",
...     compare(
...         SeedScores((0.81, 0.84, 0.83), (0, 1, 2)), raw, "SimCLR", "raw pixels"
...     ),
... )
{'v': 'SimCLR is ahead of raw pixels', 'v_zh': 'SimCLR 领先于原始像素', 'v_lo': 0.0523, 'v_hi': 0.081, 'v_n': 3, 'v_repeat': 1.0, 'v_change': 0.04}
"""  # noqa: E501 (a doctest's expected output, one line)

from __future__ import annotations

from sslbook.selection import Margin
from sslbook.stats import Comparison, SeedScores
from sslbook.zh import settings_text_zh

__all__ = [
    "CALL_COMPANIONS",
    "spread_record",
    "margin_record",
    "call_record",
    "settings_record",
    "glue_spread",
    "glue_margin",
    "glue_call",
    "glue_settings",
]

#: The suffixes of the keys glued beside a call ``key`` (see
#: ``call_record``): the one home of their spelling, for the tools and tests
#: that tell a call from its companions.
CALL_COMPANIONS = ("_zh", "_lo", "_hi", "_n", "_repeat", "_change")


def spread_record(key: str, scores: SeedScores) -> dict[str, float | int]:
    """``{key_sd: sd, key_n: n}``: the sd to two significant digits, so that
    tiny spreads keep their size.
    """
    if not isinstance(scores, SeedScores):
        raise TypeError(
            f"scores must be a SeedScores, got {type(scores).__name__}"
        )
    return {f"{key}_sd": float(f"{scores.sd:.2g}"), f"{key}_n": scores.n}


def margin_record(key: str, margin: Margin) -> dict[str, float]:
    """``{key_margin: difference, key_margin_se: noise}`` to two significant
    digits (a nan noise stays nan).
    """
    if not isinstance(margin, Margin):
        raise TypeError(
            f"margin must be a Margin, got {type(margin).__name__}"
        )
    return {
        f"{key}_margin": float(f"{margin.difference:.2g}"),
        f"{key}_margin_se": float(f"{margin.noise:.2g}"),
    }


def call_record(key: str, comparison: Comparison) -> dict[str, object]:
    """``{key: words, key_zh: the same in Chinese, key_lo, key_hi: the
    interval (3 significant digits), key_n, key_repeat, key_change}``.
    """
    if not isinstance(comparison, Comparison):
        raise TypeError(
            f"comparison must be a Comparison, got {type(comparison).__name__}"
        )
    return {
        key: comparison.text,
        f"{key}_zh": comparison.text_zh,
        f"{key}_lo": float(f"{comparison.low:.3g}"),
        f"{key}_hi": float(f"{comparison.high:.3g}"),
        f"{key}_n": comparison.n,
        f"{key}_repeat": float(f"{comparison.repeat_probability():.2f}"),
        f"{key}_change": float(f"{comparison.change_probability():.2f}"),
    }


def settings_record(
    key: str,
    choice: tuple[float, float, int],
    *,
    with_weight_decay: bool = True,
) -> dict[str, str]:
    """``{key: "learning rate …[, weight decay …], … steps", key_zh: the same
    in Chinese}`` for a chosen ``(lr, weight_decay, steps)``.

    ``with_weight_decay=False`` leaves the weight decay out of the words, for a
    grid that did not search it: naming it would present a fixed setting as
    a choice. The value is dropped whatever it is, so the text that pastes
    the words must state the fixed weight decay itself.
    """
    if len(choice) != 3:
        raise ValueError(
            f"choice must be (lr, weight_decay, steps), got {choice!r}"
        )
    lr, weight_decay, steps = choice
    shown = weight_decay if with_weight_decay else None
    decay = "" if shown is None else f", weight decay {shown:g}"
    return {
        key: f"learning rate {lr:g}{decay}, {steps} steps",
        f"{key}_zh": settings_text_zh(lr, shown, steps),
    }


def _glue(record: dict[str, object]) -> None:
    try:
        from myst_nb import glue
    except ImportError as error:  # the package alone does not need myst-nb
        raise ImportError(
            "gluing a value into a notebook needs myst-nb: "
            "pip install 'sslbook[notebooks]'"
        ) from error

    for name, value in record.items():
        glue(name, value, display=False)


def glue_spread(key: str, scores: SeedScores) -> None:
    """Glue the sd and the number of seeds of a mean glued as ``key``:
    ``key_sd``, ``key_n``.
    """
    _glue(spread_record(key, scores))


def glue_margin(key: str, margin: Margin) -> None:
    """Glue the validation margin of a setting glued as ``key``:
    ``key_margin``, ``key_margin_se``.
    """
    _glue(margin_record(key, margin))


def glue_settings(
    key: str,
    choice: tuple[float, float, int],
    *,
    with_weight_decay: bool = True,
) -> None:
    """Glue a supervised run's chosen settings as ``key``, in English, and as
    ``key_zh``, in Chinese (see :func:`settings_record`).
    """
    _glue(settings_record(key, choice, with_weight_decay=with_weight_decay))


def glue_call(key: str, comparison: Comparison) -> None:
    """Glue a call as ``key``, with ``key_lo``, ``key_hi``, ``key_n``,
    ``key_repeat`` and ``key_change``.
    """
    _glue(call_record(key, comparison))
