"""Constructor checks shared by the model families: fail before a layer is built from nonsense."""
from __future__ import annotations

import operator


def check_size(name: str, value: int) -> int:
    """Return ``value`` as an ``int`` if it can size a layer, else raise saying what was found.

    ``nn.Linear(0, 5)`` builds without complaint and only fails (or silently outputs nothing)
    later, far from the typo, so sizes are checked where they are given.
    """
    # bool is an int subclass: MLPGenerator(True) would otherwise mean latent_dim=1.
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an integer size, got the bool {value!r}")
    try:
        size = operator.index(value)  # accepts int and NumPy integers, rejects 3.0
    except TypeError:
        raise TypeError(
            f"{name} must be an integer size, got {value!r} ({type(value).__name__})"
        ) from None
    if size < 1:
        raise ValueError(f"{name} must be a positive integer (>= 1), got {size}")
    return size
