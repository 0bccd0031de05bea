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
``train_forward(x)`` and ``train_backward(grad_out, input_grad)``
    The training path (:meth:`adamlab.nn.Sequential.loss_and_grad`): the same
    numbers as ``forward`` and ``backward``, but the result may live in a
    buffer the layer reuses on its next call, and ``train_backward`` may
    overwrite ``grad_out``. The defaults call ``forward`` and ``backward``.
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

_KERNELS: list[Any] = []


def training_kernels() -> Any:
    """The module :mod:`adamlab.nn.kernels`, imported (with numba) on first use."""
    if not _KERNELS:
        from adamlab.nn import kernels

        _KERNELS.append(kernels)
    return _KERNELS[0]


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

    def train_forward(self, x: NDArray) -> NDArray:
        """:meth:`forward` for the training path.

        Layers may override it to write into a buffer they reuse on the next
        call (so the result is valid only until then); the numbers are those
        of :meth:`forward`.
        """
        return self.forward(x)

    def train_backward(self, grad_out: NDArray, input_grad: bool = True) -> NDArray:
        """:meth:`backward` (or :meth:`backward_params`) for the training path.

        With ``input_grad=False`` only the parameter gradients are written and
        None is returned. Layers may override it to overwrite ``grad_out`` and
        to return a buffer they reuse on the next call.
        """
        if input_grad:
            return self.backward(grad_out)
        self.backward_params(grad_out)
        return None

    def _scratch(self, key: str, shape: tuple[int, ...], dtype: np.dtype) -> NDArray:
        """A buffer of ``shape`` reused across calls (its first axis grows to
        the largest batch seen); the contents are arbitrary."""
        try:
            buf = self._scratch_buffers[key]
        except AttributeError:
            self._scratch_buffers: dict[str, NDArray] = {}
            buf = None
        except KeyError:
            buf = None
        if (
            buf is None
            or buf.shape[0] < shape[0]
            or buf.shape[1:] != shape[1:]
            or buf.dtype != dtype
        ):
            buf = self._scratch_buffers[key] = np.empty(shape, dtype=dtype)
        return buf[: shape[0]]

    def config(self) -> dict[str, Any]:
        """Return a JSON-able description ``{"kind": ..., "name": ...}``."""
        return {"kind": self.kind, "name": self.name}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items() if k != "kind")
        return f"{type(self).__name__}({args})"
