"""Argument checks shared by the package: one message format for bad input.

Every public function of :mod:`sslbook` that takes a count (a size, a number
of steps, a ``k``) checks it with :func:`check_int`, so that a bad value gets
the same clear ``ValueError`` everywhere: it names the argument, the value and
what would be accepted.

A corpus given to Word2Vec is checked by :func:`check_corpus` (here, not in
:mod:`sslbook.text`, so that checking one does not import gensim).

Example
-------
>>> from sslbook.checks import check_int
>>> check_int("epochs", 3)
3
>>> check_int("epochs", 0)
Traceback (most recent call last):
...
ValueError: epochs must be an int >= 1, got 0
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from typing import Sequence

__all__ = ["check_int", "check_corpus"]


def check_int(name: str, value: object, minimum: int = 1) -> int:
    """Return ``value`` as an ``int`` if it is an integer ``>= minimum``.

    Booleans are refused although Python counts them as integers, and so are
    floats such as ``2.0``: a count given as a float is usually a mistake.

    Raises:
        ValueError: naming ``name``, the value and ``minimum``.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    return int(value)


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
