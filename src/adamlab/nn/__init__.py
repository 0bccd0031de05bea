"""Small feed-forward networks in NumPy whose parameters live in one flat buffer.

>>> from adamlab import nn
>>> model = nn.mlp(4, hidden=(8,), n_out=3, activation="tanh", seed=0)
>>> [name for name, _ in model.named_parameters()]
['hidden.weight', 'hidden.bias', 'output.weight', 'output.bias']

See :mod:`adamlab.nn.layer` for the layer protocol and
:mod:`adamlab.nn.buffer` for the flat-buffer layout an optimizer may rely on.
"""

from adamlab.nn.activations import (
    ACTIVATIONS,
    Identity,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
    log_sigmoid,
    log_softmax,
    sigmoid,
    softmax,
)
from adamlab.nn.buffer import allocate_views, is_flat_layout
from adamlab.nn.layer import LAYER_KINDS, Layer
from adamlab.nn.linear import Linear
from adamlab.nn.losses import (
    BinaryCrossEntropy,
    BinaryCrossEntropyWithLogits,
    Loss,
    MeanSquaredError,
    SoftmaxCrossEntropy,
)
from adamlab.nn.recurrent import GRU, LSTM, RNN, TimeDistributed, recurrent_model
from adamlab.nn.sequential import Sequential, mlp
from adamlab.nn.serialize import layer_from_config, model_from_config, model_to_config

__all__ = [
    "ACTIVATIONS",
    "LAYER_KINDS",
    "BinaryCrossEntropy",
    "BinaryCrossEntropyWithLogits",
    "GRU",
    "Identity",
    "LSTM",
    "Layer",
    "Linear",
    "Loss",
    "MeanSquaredError",
    "RNN",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "SoftmaxCrossEntropy",
    "Tanh",
    "TimeDistributed",
    "allocate_views",
    "is_flat_layout",
    "layer_from_config",
    "log_sigmoid",
    "log_softmax",
    "mlp",
    "model_from_config",
    "model_to_config",
    "recurrent_model",
    "sigmoid",
    "softmax",
]
