"""Argument checks shared by the package: one message format for bad input.

Every public function of :mod:`sslbook` that takes a count (a size, a number
of steps, a ``k``) checks it with :func:`check_int`, and one that takes a real
number in a range (a temperature, a momentum, a rate, a probability) with
:func:`check_real`, so that a bad value gets the same clear ``ValueError``
everywhere: it names the argument, the value and what would be accepted.

A corpus given to Word2Vec is checked by :func:`check_corpus` (here, not in
:mod:`sslbook.text`, so that checking one does not import gensim).

Example
-------
>>> from sslbook.checks import check_int, check_real
>>> check_int("epochs", 3)
3
>>> check_int("epochs", 0)
Traceback (most recent call last):
...
ValueError: epochs must be an int >= 1, got 0
>>> check_real("momentum", 0.99, "[0, 1]")
0.99
>>> check_real("temperature", float("inf"), "(0, inf)")
Traceback (most recent call last):
...
ValueError: temperature must be a finite number > 0, got inf
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Iterable
from typing import Sequence

__all__ = ["check_int", "check_real", "check_corpus"]


def check_int(
    name: str, value: object, minimum: int = 1, why: str = ""
) -> int:
    """Return ``value`` as an ``int`` if it is an integer ``>= minimum``.

    Booleans are refused although Python counts them as integers, and so are
    floats such as ``2.0``: a count given as a float is usually a mistake.
    ``why``, if given, is added to the message in parentheses.

    Raises:
        ValueError: naming ``name``, the value and ``minimum``.
    """
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Integral)
        or value < minimum
    ):
        reason = f" ({why})" if why else ""
        raise ValueError(
            f"{name} must be an int >= {minimum}{reason}, got {value!r}"
        )
    return int(value)


_NUMBER = r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_INTERVAL = re.compile(
    rf"^([\[(])\s*({_NUMBER}|-inf)\s*,\s*({_NUMBER}|inf)\s*([\])])$"
)


def check_real(
    name: str, value: object, interval: str, why: str = ""
) -> float:
    """Return ``value`` as a ``float`` if it is a finite real number in
    ``interval``.

    Args:
        name: the argument's name, for the message.
        value: the value to check: a real number, or a tensor or array with
            one element (a learned temperature, say), which is returned
            unchanged after the check. Booleans, other types, nan and
            infinities are refused.
        interval: the accepted values in the usual notation, e.g. ``"[0, 1]"``,
            ``"[0, 1)"``, ``"(0, inf)"`` or ``"(-inf, 0]"`` (square brackets
            include the end; an infinite end is always open).
        why: an optional reason, added to the message in parentheses.

    Returns:
        ``value`` as a ``float``, or the one-element tensor or array itself.

    Raises:
        ValueError: naming ``name``, the value and ``interval``; or for an
            ``interval`` that does not read as one.
    """
    match = _INTERVAL.match(interval)
    if match is None:
        raise ValueError(
            f"interval must look like '[0, 1)' or '(0, inf)', got {interval!r}"
        )
    left, low, high, right = (
        match.group(1),
        float(match.group(2)),
        float(match.group(3)),
        match.group(4),
    )
    if (
        not low < high
        or (left == "[" and math.isinf(low))
        or (right == "]" and math.isinf(high))
    ):
        raise ValueError(
            "interval must run from a lower to a higher end, "
            f"infinite ends open, got {interval!r}"
        )
    number = value
    if (
        not isinstance(value, numbers.Real)
        and hasattr(value, "item")
        and _numel(value) == 1
    ):
        number = value.item()  # a one-element tensor or array
    try:
        ok = (
            not isinstance(number, bool)
            and isinstance(number, numbers.Real)
            and math.isfinite(number)
            and (low <= number if left == "[" else low < number)
            and (number <= high if right == "]" else number < high)
        )
    except OverflowError:  # an int too large for a float
        ok = False
    if not ok:
        if math.isinf(low) and math.isinf(high):
            accepted = "a finite number"
        elif math.isinf(high):
            accepted = (
                f"a finite number {'>=' if left == '[' else '>'} "
                f"{match.group(2)}"
            )
        elif math.isinf(low):
            accepted = (
                f"a finite number {'<=' if right == ']' else '<'} "
                f"{match.group(3)}"
            )
        else:
            accepted = f"in {interval}"
        reason = f" ({why})" if why else ""
        raise ValueError(f"{name} must be {accepted}{reason}, got {value!r}")
    return value if number is not value else float(number)


def _numel(value: object) -> int | None:
    """The number of elements of a tensor (``numel``) or an array
    (``size``), else None.
    """
    if callable(getattr(value, "numel", None)):
        return int(value.numel())
    size = getattr(value, "size", None)
    return size if isinstance(size, int) else None


def check_corpus(
    sentences: Iterable[Sequence[str]], name: str = "sentences"
) -> None:
    """Raise ``TypeError`` unless ``sentences`` is a corpus of token lists.

    Only the first sentence is inspected, so streaming corpora stay cheap.

    Raises:
        TypeError: for a raw string (gensim would learn its characters), a flat
            list of tokens, or sentences that are not lists of strings.
    """
    if isinstance(sentences, (str, bytes)):
        raise TypeError(
            f"{name} must be an iterable of token lists, "
            "e.g. [['the', 'cat'], ['a', 'dog']], "
            f"not a raw {type(sentences).__name__}: "
            "Word2Vec would treat each character as a word. "
            "Tokenise it first, e.g. [gensim.utils.simple_preprocess(line) "
            "for line in text.splitlines()]"
        )
    first = next(iter(sentences), None)
    if first is None:
        raise TypeError(f"{name} is empty")
    not_token_list = (
        isinstance(first, (str, bytes))
        or not isinstance(first, Iterable)
        or not all(isinstance(token, str) for token in first)
    )
    if not_token_list:
        raise TypeError(
            f"{name} must be an iterable of token lists, but its first item "
            f"is {first!r}; wrap a single list of tokens as [tokens]"
        )
