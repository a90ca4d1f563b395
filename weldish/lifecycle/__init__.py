"""The pipeline lifecycle: hooks (events), run tracking, and (``weldish.export``) artifacts.

``weldish.hooks`` is ``weldish.lifecycle.hooks``; ``weldish.lifecycle.tracking`` records runs
in a SQLite store.
"""
from . import hooks

__all__ = ["hooks"]
