"""``tf.errors``: the exception types TensorFlow raises, defined by weldish (TensorFlow
itself is not required). ``OpError(node_def, op, message)`` as in TensorFlow."""
from __future__ import annotations


class OpError(Exception):
    """A TensorFlow op failed; ``message`` says why (TensorFlow's wording)."""

    def __init__(self, node_def=None, op=None, message="", *args):
        super().__init__(message, *args)
        self.node_def, self.op, self._message = node_def, op, message

    @property
    def message(self) -> str:
        return self._message

    def __str__(self):
        return self._message


class InvalidArgumentError(OpError):
    """An op received an invalid argument: mismatched dtypes or shapes."""


class UnimplementedError(OpError):
    """An op or argument TensorFlow has but weldish does not."""


def invalid(op: str, message: str) -> InvalidArgumentError:
    """TensorFlow's eager error text: ``<message> [Op:<op>]``."""
    return InvalidArgumentError(None, None, f"{message} [Op:{op}]")


__all__ = ["InvalidArgumentError", "OpError", "UnimplementedError"]
