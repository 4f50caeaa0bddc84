"""Argument checks shared by the package: one message format for bad input.

Every public function of :mod:`sslbook` that takes a count (a size, a number
of steps, a ``k``) checks it with :func:`check_int`, so that a bad value gets
the same clear ``ValueError`` everywhere: it names the argument, the value and
what would be accepted.

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

__all__ = ["check_int"]


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
