"""Object code of compiled kernels on disk, so a new process skips compilation.

An entry is one file named by the SHA-256 of its key. The key is everything the machine
code depends on: the kernel's structure and layout (``Kernel.signature`` plus the stride
classes), the target (triple, CPU name and features), the llvmlite version and a
fingerprint of the code generator's own sources, so editing an emitter, a recipe or the
OPS table never serves stale code. The file holds a magic tag, the full key and a SHA-256
of the object code: an entry that is truncated, corrupt or written for another key (a
foreign or colliding file) is ignored and rewritten, never loaded. Writes go to a
temporary file renamed into place, so concurrent processes never see half an entry.

``WELDISH_CACHE_DIR`` chooses the directory (default: ``$XDG_CACHE_HOME/weldish`` or
``~/.cache/weldish``); ``WELDISH_CACHE_DIR=none`` turns the disk cache off. An unusable
directory (read-only, full) costs one warning; kernels are then kept in memory only.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
import warnings
from pathlib import Path

MAGIC = b"WELDISH-KERNEL-1\n"
# (runtime.py: the kernels' entry, ``entry_ir``)
_SOURCES = ("emit.py", "recipes.py", "lowering.py", "jit.py", "vecmath.py", "runtime.py")


def default_dir() -> Path | None:
    configured = os.environ.get("WELDISH_CACHE_DIR")
    if configured is not None:
        return None if configured.strip().lower() in ("", "none", "off", "0") \
            else Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "weldish"


def code_fingerprint() -> str:
    """SHA-256 of the sources that decide what code a kernel gets."""
    from ...ir import ops
    here = Path(__file__).parent
    h = hashlib.sha256()
    for path in [here / name for name in _SOURCES] + [Path(ops.__file__)]:
        if path.exists():
            h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


class DiskCache:
    def __init__(self, directory: Path | None):
        self.directory = directory
        self.hits = self.misses = self.rejected = 0
        self._warned = False

    def _path(self, digest: str) -> Path:
        return self.directory / digest[:2] / f"{digest}.o"

    def load(self, key: bytes, digest: str) -> bytes | None:
        """The object code stored under ``key``; None if absent or not trustworthy."""
        if self.directory is None:
            return None
        try:
            blob = self._path(digest).read_bytes()
        except OSError:
            self.misses += 1
            return None
        header = MAGIC + len(key).to_bytes(8, "little") + key
        body = blob[len(header):]
        if not blob.startswith(header) or len(body) < 32 or \
                hashlib.sha256(body[32:]).digest() != body[:32]:
            self.rejected += 1
            return None
        self.hits += 1
        return body[32:]

    def store(self, key: bytes, digest: str, code: bytes) -> None:
        if self.directory is None:
            return
        path = self._path(digest)
        blob = (MAGIC + len(key).to_bytes(8, "little") + key + hashlib.sha256(code).digest()
                + code)
        tmp = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            with os.fdopen(fd, "wb") as f:
                f.write(blob)
            os.replace(tmp, path)
        except OSError as e:
            if tmp is not None and os.path.exists(tmp):
                os.unlink(tmp)
            if not self._warned:
                self._warned = True
                warnings.warn(f"weldish: cannot write the kernel cache in {self.directory} "
                              f"({e}); compiled kernels are kept in memory only",
                              RuntimeWarning, stacklevel=2)
