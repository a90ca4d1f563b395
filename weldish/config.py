"""``weldish.config``: backend and thread settings, as a setter or a context manager.

    weldish.config(backend="interp")            # set for the rest of the program
    with weldish.config(num_threads=1): ...     # set inside the block, restored after
    weldish.config(scheduler=client)            # split stages as Dask tasks ("local": back)
    weldish.config(track=True)                  # each evaluate recorded (lifecycle.tracking)
"""
from __future__ import annotations

import os

from .backends import available as _available, get as _get_backend

_DEFAULTS = {
    # the first available backend (llvm when llvmlite works, else the interpreter)
    "backend": os.environ.get("WELDISH_BACKEND") or _available()[0],
    "num_threads": int(os.environ.get("WELDISH_NUM_THREADS", "0")) or (os.cpu_count() or 1),
    # elements per piece of a split-annotation stage (weldish.split); 0: from the L2 size
    "split_piece": int(os.environ.get("WELDISH_SPLIT_PIECE", "0")),
    # where split-annotation stages run: "local" (thread pool), "dask" (the default
    # dask.distributed client) or a dask.distributed.Client (weldish.split.distributed_exec)
    "scheduler": "local",
    # record each weldish.evaluate as a run in the tracking store (weldish.lifecycle.tracking)
    "track": False,
}


class _Settings:
    """Process-wide settings (a ``with config(...)`` block changes them for all threads)."""
    def __init__(self):
        self.__dict__.update(_DEFAULTS)


SETTINGS = _Settings()


class config:
    """Set options; as a context manager, restore the previous values on exit."""

    def __init__(self, backend: str | None = None, num_threads: int | None = None,
                 split_piece: int | None = None, scheduler=None, track=None):
        new = {}
        if track is not None:  # True, or the path of a tracking store
            if track:
                from .lifecycle import tracking
                tracking.enable(None if track is True else track)
            new["track"] = bool(track)
        if scheduler is not None:  # checked now: 'dask' without dask.distributed raises
            from .split.distributed_exec import check
            check(scheduler)
            new["scheduler"] = scheduler
        if split_piece is not None:  # elements per piece of a split stage; 0: automatic
            if int(split_piece) < 0:
                raise ValueError(f"split_piece must be >= 0, got {split_piece}")
            new["split_piece"] = int(split_piece)
        if backend is not None:
            _get_backend(backend)  # unknown or unavailable: ValueError/RuntimeError now
            new["backend"] = backend
        if num_threads is not None:
            if int(num_threads) < 1:
                raise ValueError(f"num_threads must be >= 1, got {num_threads}")
            new["num_threads"] = int(num_threads)
        self._old = {k: getattr(SETTINGS, k) for k in new}
        SETTINGS.__dict__.update(new)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        SETTINGS.__dict__.update(self._old)
        return False

    @staticmethod
    def current() -> dict:
        return {k: getattr(SETTINGS, k) for k in _DEFAULTS}
