"""``weldish.numpy.fft``: NumPy's fft functions; array results become lazy inputs."""
import numpy as _np

from ._api import module_attr as _attr


def __getattr__(name):
    return _attr(_np.fft, name, "numpy.fft")


def __dir__():
    return dir(_np.fft)
