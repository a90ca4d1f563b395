"""weldish: a lazy dataflow compiler for NumPy/pandas pipelines.

    import weldish.numpy as np        # instead of: import numpy as np
    ...unchanged NumPy code...         # records a lazy graph
    weldish.evaluate(result)           # or np.asarray / print / float: runs it, fused

See ``weldish.explain`` for the recorded graph, the optimized graph and the fallbacks.
"""
from .annotate import annotate
from .config import config
from .evaluate import evaluate
from .explain import explain
from .export import ArtifactError, ExportError, export, load
from .fallback import LOG as fallbacks
from .function import function
from .lazy import LazyArray
from .lifecycle import hooks
from .lifecycle.monitoring import DriftWarning
from .lifecycle.pipeline import Pipeline

__version__ = "0.1.0"
__all__ = ["ArtifactError", "DriftWarning", "ExportError", "LazyArray", "Pipeline", "annotate", "config", "evaluate", "explain", "export", "fallbacks", "function", "hooks", "load", "__version__"]
