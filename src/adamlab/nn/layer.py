"""The layer protocol shared by every network building block.

A layer declares the shapes of its parameters; the model that owns it
allocates one flat buffer for all parameters (and a twin for gradients) and
hands each layer shaped views into those buffers with :meth:`Layer.bind`. A
layer never allocates its own parameter arrays, so the optimizer can treat the
whole model as one long vector.

Protocol
--------
``name``
    The layer's name; its parameters are published as ``f"{name}.{key}"``.
``param_shapes() -> dict[str, tuple[int, ...]]``
    Parameter keys and shapes in buffer order (``{}`` when there are none).
``bind(params, grads) -> None``
    Receive views into the model's parameter and gradient buffers.
``init_params(rng) -> None``
    Fill the bound parameters in place.
``forward(x) -> y``
    Compute the output and cache what ``backward`` needs.
``backward(grad_out) -> grad_in``
    Overwrite (never accumulate into) the bound gradients and return the
    gradient with respect to the input of the last ``forward``.
``config() -> dict``
    A JSON-able description ``{"kind": ..., **constructor arguments}`` from
    which :func:`adamlab.nn.serialize.layer_from_config` rebuilds the layer.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

#: Every concrete layer class by its ``kind``, filled in as classes are defined.
LAYER_KINDS: dict[str, type[Layer]] = {}


def check_name(name: object) -> str:
    """Return ``name`` if it is a usable layer name, else raise.

    A name must be a non-empty string without ``"."`` (the separator between a
    layer name and a parameter key).
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__}")
    if not name or "." in name:
        raise ValueError(f"name must be a non-empty string without '.', got {name!r}")
    return name


class Layer:
    """Base class of all layers (see the module docstring for the protocol).

    Parameters
    ----------
    name : str
        The layer's name; parameter names are ``f"{name}.{key}"``.
    """

    kind: ClassVar[str] = "layer"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # A subclass that sets its own ``kind`` can be rebuilt from its config.
        if "kind" in cls.__dict__:
            LAYER_KINDS[cls.kind] = cls

    def __init__(self, name: str) -> None:
        self.name = check_name(name)
        self.params: dict[str, NDArray] = {}
        self.grads: dict[str, NDArray] = {}

    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        """Return the parameter keys and shapes, in buffer order."""
        return {}

    def bind(self, params: dict[str, NDArray], grads: dict[str, NDArray]) -> None:
        """Attach views into the model's parameter and gradient buffers."""
        shapes = self.param_shapes()
        for label, arrays in (("params", params), ("grads", grads)):
            if set(arrays) != set(shapes):
                raise ValueError(
                    f"{label} for layer {self.name!r} must have keys "
                    f"{sorted(shapes)}, got {sorted(arrays)}"
                )
            for key, shape in shapes.items():
                if tuple(arrays[key].shape) != tuple(shape):
                    raise ValueError(
                        f"{label}[{key!r}] for layer {self.name!r} must have shape "
                        f"{tuple(shape)}, got {tuple(arrays[key].shape)}"
                    )
        self.params = dict(params)
        self.grads = dict(grads)

    def init_params(self, rng: np.random.Generator) -> None:
        """Fill the bound parameters in place (nothing for parameter-free layers)."""

    def forward(self, x: NDArray) -> NDArray:
        """Return the layer's output for input ``x``, caching what backward needs."""
        raise NotImplementedError

    def backward(self, grad_out: NDArray) -> NDArray:
        """Overwrite this layer's gradients and return the gradient wrt the input."""
        raise NotImplementedError

    def backward_params(self, grad_out: NDArray) -> None:
        """Overwrite this layer's gradients only (the first layer of a model needs
        no input gradient); layers may override it to skip that work."""
        self.backward(grad_out)

    def config(self) -> dict[str, Any]:
        """Return a JSON-able description ``{"kind": ..., "name": ...}``."""
        return {"kind": self.kind, "name": self.name}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items() if k != "kind")
        return f"{type(self).__name__}({args})"
