"""``weldish.numpy.linalg``: NumPy's linear-algebra functions; array results become lazy inputs."""
import numpy as _np

from ._api import module_attr as _attr


def __getattr__(name):
    return _attr(_np.linalg, name, "numpy.linalg")


def __dir__():
    return dir(_np.linalg)
