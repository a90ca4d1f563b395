"""``tf.keras``: a ``Sequential`` of ``Dense`` layers for inference with given weights.

Layers compute in their dtype (Keras' default ``float32``; ``dtype="float64"`` for
double), casting float inputs to it as Keras does. A model's call records graph nodes,
so a dense layer with few inputs fuses with its activation and with what the caller does
next; ``predict`` evaluates and returns NumPy.
"""
from __future__ import annotations

import types

import numpy as np

from . import math as tfm, nn
from ._tensor import Tensor, Variable, as_dtype, convert_to_tensor
from .array_ops import cast, matmul


def _linear(x):
    return x


_ACTIVATIONS = {
    None: _linear, "linear": _linear, "relu": nn.relu, "sigmoid": tfm.sigmoid,
    "tanh": tfm.tanh, "softmax": nn.softmax, "elu": nn.elu, "selu": nn.selu,
    "gelu": nn.gelu, "softplus": tfm.softplus, "swish": nn.silu, "silu": nn.silu,
    "relu6": nn.relu6, "leaky_relu": nn.leaky_relu, "exponential": tfm.exp,
}


def get_activation(identifier):
    """``keras.activations.get``: a name, None (linear) or a callable."""
    if callable(identifier):
        return identifier
    try:
        return _ACTIVATIONS[identifier]
    except KeyError:
        raise ValueError(f"Unknown activation function: {identifier!r}") from None


activations = types.SimpleNamespace(get=get_activation, **{
    k: v for k, v in _ACTIVATIONS.items() if isinstance(k, str)})


def _initial(initializer, shape, dtype, rng):
    if callable(initializer):
        return np.asarray(initializer(shape, dtype=dtype))
    if initializer == "zeros":
        return np.zeros(shape, dtype)
    if initializer == "ones":
        return np.ones(shape, dtype)
    if initializer == "glorot_uniform":
        limit = np.sqrt(6 / (shape[0] + shape[-1]))
        return rng.uniform(-limit, limit, shape).astype(dtype)
    raise ValueError(f"Unknown initializer: {initializer!r}")


class Dense:
    """``keras.layers.Dense``: activation(x @ kernel + bias)."""

    def __init__(self, units, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 input_shape=None, input_dim=None, dtype=None, name=None, seed=None, **kw):
        self.units = int(units)
        self.activation = get_activation(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        self.dtype = as_dtype(dtype or "float32")
        self.name = name or "dense"
        self.kernel = self.bias = None
        self._rng = np.random.default_rng(seed)
        if input_dim is not None:
            input_shape = (input_dim,)
        if input_shape is not None:
            self.build((None, *input_shape))

    @property
    def built(self) -> bool:
        return self.kernel is not None

    def build(self, input_shape):
        k = int(input_shape[-1])
        dt = self.dtype.dtype
        self.kernel = Variable(_initial(self.kernel_initializer, (k, self.units), dt,
                                        self._rng), name=f"{self.name}/kernel")
        if self.use_bias:
            self.bias = Variable(_initial(self.bias_initializer, (self.units,), dt,
                                          self._rng), name=f"{self.name}/bias")

    @property
    def weights(self) -> list:
        return [w for w in (self.kernel, self.bias) if w is not None]

    def get_weights(self) -> list:
        return [w.numpy() for w in self.weights]

    def set_weights(self, weights):
        if not self.built:
            self.build((None, np.shape(weights[0])[0]))
        if len(weights) != len(self.weights):
            raise ValueError(f"Layer {self.name} expects {len(self.weights)} weights, but "
                             f"received {len(weights)}")
        for var, value in zip(self.weights, weights):
            var.assign(np.asarray(value, dtype=var.dtype.dtype))

    def __call__(self, inputs):
        x = convert_to_tensor(inputs)
        if not self.built:
            self.build(x.shape)
        if x.dtype != self.dtype and (x.dtype.is_floating or x.dtype.is_integer):
            x = cast(x, self.dtype)   # Keras casts inputs to the layer's dtype
        y = matmul(x, self.kernel)
        if self.use_bias:
            y = y + self.bias
        return self.activation(y)


class Activation:
    """``keras.layers.Activation``."""

    def __init__(self, activation, name=None, **kw):
        self.activation, self.name = get_activation(activation), name or "activation"
        self.weights = []

    def __call__(self, inputs):
        return self.activation(convert_to_tensor(inputs))

    def get_weights(self):
        return []

    def set_weights(self, weights):
        if weights:
            raise ValueError("Activation has no weights")


class InputLayer:
    """``keras.Input(shape=...)``: the shape of one example (the batch axis excluded)."""

    def __init__(self, shape=None, dtype=None, name=None, **kw):
        self.shape, self.dtype, self.name, self.weights = tuple(shape or ()), dtype, name, []

    def __call__(self, inputs):
        return convert_to_tensor(inputs)

    def get_weights(self):
        return []

    def set_weights(self, weights):
        pass


def Input(shape=None, batch_size=None, dtype=None, name=None, **kw):  # noqa: N802
    return InputLayer(shape, dtype, name)


class Sequential:
    """``keras.Sequential``: layers applied in order."""

    def __init__(self, layers=None, name=None):
        self.layers, self.name = [], name or "sequential"
        for layer in layers or ():
            self.add(layer)

    def add(self, layer):
        if isinstance(layer, InputLayer):
            self._input = layer
            return
        if self.layers == [] and hasattr(self, "_input") and isinstance(layer, Dense) and \
                not layer.built and self._input.shape:
            layer.build((None, *self._input.shape))
        elif self.layers and isinstance(layer, Dense) and not layer.built:
            width = _width(self.layers)
            if width is not None:
                layer.build((None, width))
        self.layers.append(layer)

    def build(self, input_shape):
        width = int(input_shape[-1])
        for layer in self.layers:
            if isinstance(layer, Dense):
                if not layer.built:
                    layer.build((None, width))
                width = layer.units

    def __call__(self, inputs, training=None) -> Tensor:
        x = convert_to_tensor(inputs)
        for layer in self.layers:
            x = layer(x)
        return x

    def predict(self, x, batch_size=None, verbose=0):
        """The model's output for ``x`` as a NumPy array (one fused evaluation)."""
        return np.asarray(self(x))

    @property
    def weights(self) -> list:
        return [w for layer in self.layers for w in layer.weights]

    def get_weights(self) -> list:
        return [w.numpy() for w in self.weights]

    def set_weights(self, weights):
        weights = list(weights)
        for layer in self.layers:
            n = len(layer.weights) if getattr(layer, "built", True) else \
                (2 if getattr(layer, "use_bias", False) else 1)
            layer.set_weights(weights[:n])
            weights = weights[n:]
        if weights:
            raise ValueError(f"{len(weights)} weights left over for model {self.name}")


def _width(layers):
    for layer in reversed(layers):
        if isinstance(layer, Dense):
            return layer.units
    return None


layers = types.SimpleNamespace(Dense=Dense, Activation=Activation, InputLayer=InputLayer)

__all__ = ["Input", "Sequential", "activations", "layers"]
