"""A chain of layers whose parameters live in one flat buffer, and ``mlp``."""

from __future__ import annotations

import operator
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from adamlab.nn.activations import ACTIVATIONS
from adamlab.nn.buffer import allocate_views, check_dtype
from adamlab.nn.init import INIT_FOR_ACTIVATION
from adamlab.nn.layer import Layer
from adamlab.nn.linear import Linear, check_size
from adamlab.nn.losses import Loss


class Sequential:
    """Layers applied in order, with all parameters in one contiguous buffer.

    Every parameter is a view ``param_buffer[a:b].reshape(shape)`` and every
    gradient the matching view of ``grad_buffer``; both buffers are 1-D,
    allocated once in ``dtype`` and tiled in layer order without gaps.

    Parameters
    ----------
    layers : sequence of Layer
        The layers, with distinct names.
    dtype : {float64, float32, float16}
        Dtype of parameters, gradients and activations (inputs are cast to it).
    seed : int
        Seed of the generator that initialises the parameters; the same seed
        gives the same weights, bit for bit.

    Attributes
    ----------
    param_buffer, grad_buffer : ndarray, shape (num_parameters,)
    layers : list of Layer
    dtype : numpy.dtype
    seed : int
    """

    def __init__(
        self, layers: Sequence[Layer], *, dtype: DTypeLike = np.float64, seed: int = 0
    ) -> None:
        layers = list(layers)
        if not layers:
            raise ValueError("layers must hold at least one layer, got none")
        seen: set[str] = set()
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(
                    f"layers[{i}] must be an adamlab.nn Layer, "
                    f"got {type(layer).__name__}"
                )
            if layer.name in seen:
                raise ValueError(
                    f"layer names must be distinct, got {layer.name!r} twice"
                )
            seen.add(layer.name)
        if isinstance(seed, bool):
            raise TypeError(f"seed must be a non-negative int, got {seed!r}")
        try:
            seed = operator.index(seed)
        except TypeError as exc:
            raise TypeError(f"seed must be a non-negative int, got {seed!r}") from exc
        if seed < 0:
            raise ValueError(f"seed must be a non-negative int, got {seed}")
        self.layers = layers
        self.dtype = check_dtype(dtype)
        self.seed = seed

        # Allocate both buffers once and hand each layer its views.
        specs = [
            (layer, key, tuple(shape))
            for layer in layers
            for key, shape in layer.param_shapes().items()
        ]
        shapes = [shape for _, _, shape in specs]
        self.param_buffer, param_views = allocate_views(shapes, self.dtype)
        self.grad_buffer, grad_views = allocate_views(shapes, self.dtype)
        self._names = [f"{layer.name}.{key}" for layer, key, _ in specs]
        self._params = param_views
        self._grads = grad_views
        for layer in layers:
            idx = [i for i, (owner, _, _) in enumerate(specs) if owner is layer]
            layer.bind(
                {specs[i][1]: param_views[i] for i in idx},
                {specs[i][1]: grad_views[i] for i in idx},
            )
        self.init_params(seed)

    # -- parameters -------------------------------------------------------

    def init_params(self, seed: int | None = None) -> None:
        """(Re)initialise every parameter from ``seed`` (default: the model seed)."""
        rng = np.random.default_rng(self.seed if seed is None else seed)
        for layer in self.layers:
            layer.init_params(rng)

    @property
    def num_parameters(self) -> int:
        """The number of scalar parameters."""
        return int(self.param_buffer.size)

    def named_parameters(self) -> list[tuple[str, NDArray]]:
        """Return ``(name, view)`` pairs in buffer order, e.g. ``"hidden.weight"``."""
        return list(zip(self._names, self._params))

    def named_gradients(self) -> list[tuple[str, NDArray]]:
        """Return ``(name, gradient view)`` pairs in buffer order."""
        return list(zip(self._names, self._grads))

    def parameters(self) -> list[NDArray]:
        """Return the parameter views in buffer order (a new list each call)."""
        return list(self._params)

    def gradients(self) -> list[NDArray]:
        """Return the gradient views, in the order of :meth:`parameters`.

        The same list object is returned on every call, so an optimizer may
        hold on to it.
        """
        return self._grads

    def zero_grad(self) -> None:
        """Set every gradient to 0."""
        self.grad_buffer[...] = 0

    def state_dict(self) -> dict[str, NDArray]:
        """Return a copy of every parameter by name."""
        return {name: p.copy() for name, p in self.named_parameters()}

    def load_state_dict(self, state: Mapping[str, ArrayLike]) -> None:
        """Copy parameters by name into the existing views (shapes must match)."""
        missing = set(self._names) - set(state)
        extra = set(state) - set(self._names)
        if missing or extra:
            raise ValueError(
                f"state must hold exactly the parameters {self._names}; "
                f"missing {sorted(missing)}, unexpected {sorted(extra)}"
            )
        for name, p in self.named_parameters():
            value = np.asarray(state[name])
            if value.shape != p.shape:
                raise ValueError(
                    f"state[{name!r}] must have shape {p.shape}, got {value.shape}"
                )
            p[...] = value

    # -- computation ------------------------------------------------------

    def forward(self, x: ArrayLike) -> NDArray:
        """Return the model's output for ``x`` (cast to the model dtype)."""
        out = np.asarray(x, dtype=self.dtype)
        for layer in self.layers:
            out = layer.forward(out)
        return out

    def backward(self, grad_out: ArrayLike, *, input_grad: bool = True) -> NDArray:
        """Back-propagate ``grad_out``; overwrite ``grad_buffer``; return dL/dx.

        With ``input_grad=False`` the first layer skips the input gradient
        (training needs none) and None is returned.
        """
        g = np.asarray(grad_out, dtype=self.dtype)
        for layer in reversed(self.layers[1:]):
            g = layer.backward(g)
        if not input_grad:
            self.layers[0].backward_params(g)
            return None
        return self.layers[0].backward(g)

    def predict(self, x: ArrayLike) -> NDArray:
        """Return the raw output for ``x`` (logits for a classifier).

        Same as :meth:`forward`: it replaces the layers' caches, so call it
        between training steps, not between ``forward`` and ``backward``.
        """
        return self.forward(x)

    def loss_and_grad(self, x: ArrayLike, y: ArrayLike, loss: Loss) -> float:
        """Run forward, the loss and backward; return the mean loss.

        ``grad_buffer`` receives the gradient of the mean loss over the batch.
        The layers' training path (``train_forward`` / ``train_backward``)
        computes the numbers of :meth:`forward` and :meth:`backward` in
        buffers reused from step to step.
        """
        out = np.asarray(x, dtype=self.dtype)
        layers = self.layers
        for layer in layers:
            out = layer.train_forward(out)
        value, grad = loss(out, y)
        g = np.asarray(grad, dtype=self.dtype)
        # train_backward may overwrite it: never a caller's array or a view.
        if g is y or not (g.flags.writeable and g.flags.owndata):
            g = g.copy()
        for layer in reversed(layers[1:]):
            g = layer.train_backward(g, True)
        layers[0].train_backward(g, False)
        return value

    # -- description ------------------------------------------------------

    def config(self) -> dict[str, Any]:
        """Return a JSON-able description from which :meth:`from_config` rebuilds."""
        return {
            "kind": "sequential",
            "dtype": self.dtype.name,
            "seed": self.seed,
            "layers": [layer.config() for layer in self.layers],
        }

    @classmethod
    def from_config(
        cls, cfg: Mapping[str, Any], dtype: DTypeLike | None = None
    ) -> Sequential:
        """Rebuild a model (freshly initialised) from :meth:`config`'s output.

        ``dtype`` overrides the dtype stored in ``cfg``.
        """
        from adamlab.nn.serialize import layer_from_config

        if not isinstance(cfg, Mapping) or cfg.get("kind") != "sequential":
            raise ValueError(
                "cfg must be a dict with kind 'sequential', "
                f"got {cfg.get('kind') if isinstance(cfg, Mapping) else cfg!r}"
            )
        layers = [layer_from_config(item) for item in cfg.get("layers", [])]
        return cls(
            layers,
            dtype=cfg.get("dtype", "float64") if dtype is None else dtype,
            seed=cfg.get("seed", 0),
        )

    def __repr__(self) -> str:
        inner = ", ".join(repr(layer) for layer in self.layers)
        return f"Sequential([{inner}], dtype={self.dtype.name}, seed={self.seed})"


def mlp(
    n_in: int,
    hidden: Sequence[int] = (64,),
    n_out: int = 10,
    activation: str = "tanh",
    *,
    dtype: DTypeLike = np.float64,
    seed: int = 0,
) -> Sequential:
    """Build a multi-layer perceptron ``Linear -> act -> ... -> Linear``.

    The output layer is linear (logits for a classifier). Layers are named
    ``"hidden"`` when there is one hidden layer, else ``"hidden1"``,
    ``"hidden2"``, ..., then ``"output"``; each activation layer is named
    after its linear layer with ``"_act"`` appended. Hidden weights use He
    init before ReLU and Glorot before tanh or sigmoid; the output uses Glorot.

    Parameters
    ----------
    n_in, n_out : int
        Input and output widths (positive).
    hidden : sequence of int
        Hidden layer widths (positive); empty gives a single linear layer.
    activation : {"tanh", "relu", "sigmoid"}
        Hidden activation.
    dtype, seed
        As for :class:`Sequential`.
    """
    if activation not in ACTIVATIONS:
        raise ValueError(
            f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}"
        )
    if isinstance(hidden, (str, bytes)) or not isinstance(hidden, Sequence):
        raise TypeError(f"hidden must be a sequence of ints, got {hidden!r}")
    widths = [check_size(w, f"hidden[{i}]") for i, w in enumerate(hidden)]
    n_in = check_size(n_in, "n_in")
    n_out = check_size(n_out, "n_out")

    layers: list[Layer] = []
    fan_in = n_in
    for i, width in enumerate(widths):
        name = "hidden" if len(widths) == 1 else f"hidden{i + 1}"
        init = INIT_FOR_ACTIVATION[activation]
        layers.append(Linear(fan_in, width, name=name, init=init))
        layers.append(ACTIVATIONS[activation](name=f"{name}_act"))
        fan_in = width
    layers.append(Linear(fan_in, n_out, name="output", init="glorot"))
    return Sequential(layers, dtype=dtype, seed=seed)
