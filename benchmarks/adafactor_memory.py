"""Optimizer state bytes, Adam against Adafactor, for a few parameter shapes.

Run: ``PYTHONPATH=src python3 benchmarks/adafactor_memory.py``. Counts the
bytes of state each optimizer allocates (``state_bytes()``) for one float32
parameter of each shape: Adam, Adafactor with the paper defaults (ratio to
Adam), with momentum (``beta1=0.9``), and factoring the two largest axes
(``factor_dims="largest_two"``, which suits convolution kernels). Nothing is
timed.
"""

from __future__ import annotations

import numpy as np

from adamlab.optim import Adafactor, Adam

SHAPES = [
    (1024,),
    (1024, 1024),
    (4096, 1024),
    (1024, 4096),
    (64, 3, 3, 3),
    (512, 512, 3, 3),
]


def measure(shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    """State bytes of Adam, Adafactor, with momentum, and factoring the largest."""
    param = np.zeros(shape, dtype=np.float32)
    adam = Adam([param]).state_bytes()
    factored = Adafactor([param]).state_bytes()
    momentum = Adafactor([param], beta1=0.9).state_bytes()
    largest = Adafactor([param], factor_dims="largest_two").state_bytes()
    return adam, factored, momentum, largest


def main() -> None:
    header = f"{'shape (float32)':<18}{'Adam':>14}{'Adafactor':>12}{'ratio':>9}"
    print(header + f"{'+beta1':>14}{'largest_two':>13}")
    for shape in SHAPES:
        adam, factored, momentum, largest = measure(shape)
        print(
            f"{str(shape):<18}{adam:>14,}{factored:>12,}"
            f"{factored / adam:>9.4%}{momentum:>14,}{largest:>13,}"
        )


if __name__ == "__main__":
    main()
