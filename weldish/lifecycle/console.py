"""Terminal output for the CLI: a progress bar on stderr and plain-text tables."""
from __future__ import annotations

import os
import sys
import time


class Progress:
    """A one-line progress bar on ``stream`` (stderr), redrawn at most 10 times a second.

    Drawn only on a terminal (``WELDISH_PROGRESS=1`` forces it, ``0`` turns it off), so
    logs and pipes get no control characters. ``total=None``: a counter, no bar.
    """

    WIDTH = 28

    def __init__(self, total=None, desc: str = "", unit: str = "", stream=None,
                 enabled: bool | None = None):
        self.total, self.desc, self.unit = total, desc, unit
        self.stream = sys.stderr if stream is None else stream
        forced = os.environ.get("WELDISH_PROGRESS", "").strip()
        if enabled is None:
            enabled = forced == "1" or (forced != "0" and _isatty(self.stream))
        self.enabled = enabled
        self.count = 0
        self.start = time.perf_counter()
        self._drawn = 0.0
        self._width = 0

    def update(self, n=1, total=None):
        self.count += n
        if total is not None:
            self.total = total
        now = time.perf_counter()
        if self.enabled and now - self._drawn >= 0.1:
            self._drawn = now
            self._draw(now)

    def _draw(self, now):
        elapsed = now - self.start
        done = f"{self.count:,}" + (f"/{self.total:,}" if self.total else "")
        text = f"{self.desc} " if self.desc else ""
        if self.total:
            frac = min(self.count / self.total, 1.0)
            fill = int(frac * self.WIDTH)
            text += f"[{'#' * fill}{'.' * (self.WIDTH - fill)}] {frac:4.0%} "
        rate = self.count / elapsed if elapsed > 0 else 0.0
        text += f"{done} {self.unit} {elapsed:.1f} s ({rate:,.0f} {self.unit}/s)".rstrip()
        pad = max(self._width - len(text), 0)
        self._width = len(text)
        self.stream.write("\r" + text + " " * pad)
        self.stream.flush()

    def clear(self):
        """Erase the bar (before other output to the terminal); the next update redraws."""
        if self.enabled and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
            self._width = 0
            self._drawn = 0.0

    def close(self):
        if self.enabled:
            self._draw(time.perf_counter())
            self.stream.write("\n")
            self.stream.flush()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def _isatty(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def table(rows, headers=None, align=None) -> str:
    """A plain-text table: ``rows`` of cells (any values, shown with ``str``), columns as
    wide as their widest cell, under ``headers`` (None: no header, e.g. field: value);
    ``align``: per column "<" or ">" (default: right for numbers, left otherwise)."""
    rows = [["" if c is None else c for c in r] for r in rows]
    ncols = len(headers) if headers is not None else max((len(r) for r in rows), default=0)
    if align is None:
        align = [">" if rows and all(isinstance(r[i], (int, float)) for r in rows) else "<"
                 for i in range(ncols)]
    cells = ([[str(h) for h in headers]] if headers is not None else []) + \
        [[_cell(c) for c in r] for r in rows]
    widths = [max((len(r[i]) for r in cells), default=0) for i in range(ncols)]
    lines = []
    for j, r in enumerate(cells):
        lines.append("  ".join(f"{c:{a}{w}}" for c, a, w in zip(r, align, widths)).rstrip())
        if j == 0 and headers is not None:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _cell(c) -> str:
    if isinstance(c, float):
        return f"{c:.4g}" if abs(c) < 1e5 else f"{c:,.0f}"
    if isinstance(c, int) and not isinstance(c, bool):
        return f"{c:,}"
    return str(c)


def size(nbytes) -> str:
    """Bytes, readably (``12.3 MiB``)."""
    if nbytes is None:
        return ""
    value = float(nbytes)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"
