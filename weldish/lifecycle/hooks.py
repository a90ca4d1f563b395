"""Lifecycle hooks: subscribe to what weldish does (``weldish.hooks``).

    def show(event):                       # an Event: .event, .time, .run, fields as attributes
        print(event.event, event.fields)
    handle = weldish.hooks.subscribe(show, events=["compile", "execute"])
    ...
    weldish.hooks.unsubscribe(handle)

    with weldish.hooks.listen() as log:    # every event of the block, in order
        weldish.evaluate(x)
    [e.event for e in log]                 # ['trace', 'optimize', 'compile', 'execute', ...]

Events (``EVENTS``) and their fields:

- ``run``: ``phase`` "start" | "end", ``parent`` (the enclosing run's id or None); a run
  groups the events emitted inside it (``running``); at the end: ``seconds``, ``error``
  (None or the exception's text) and whatever the runner filled in (``rows_in``,
  ``bytes_out``, lineage ``inputs``/``outputs``, ...).
- ``trace``: a graph recorded and handed to evaluation: ``nodes``, ``roots``, ``inputs``.
- ``optimize``: ``passes``, ``nodes_before``, ``nodes_after``, ``seconds``.
- ``compile``: a kernel: ``cache`` "memory" | "disk" | "miss", ``seconds``, ``kernel``.
- ``execute``: a step of a program: ``step``, ``kind``, ``seconds``, ``rows``, ``bytes``.
- ``fallback``: an eager call of the real library: ``function``, ``reason``, ``seconds``.
- ``export`` / ``load``: an artifact written / read: ``path``, ``name``, ``version``.
- ``drift``: monitoring found inputs unlike the exported profile (per column).

Emitters check ``if SUBSCRIBERS:`` before building a payload, so with nobody listening an
event costs one truth test. A subscriber that raises never breaks the pipeline: its error
is reported with one warning per subscriber (all of them are kept in ``errors``) and the
other subscribers still run.
"""
from __future__ import annotations

import contextvars
import itertools
import threading
import time
import uuid
import warnings
from collections import deque
from contextlib import contextmanager

EVENTS = ("run", "trace", "optimize", "compile", "execute", "fallback", "export", "load",
          "drift")

# [_Subscriber]: mutated in place under _LOCK (never rebound, so ``from ... import
# SUBSCRIBERS`` stays valid); emit iterates over a snapshot.
SUBSCRIBERS: list = []
_LOCK = threading.Lock()
_IDS = itertools.count(1)
errors: deque = deque(maxlen=100)   # (subscriber, event name, exception), newest last
_RUN = contextvars.ContextVar("weldish_run", default=None)


class Event:
    """One thing that happened: ``event`` (its name), ``time`` (``time.time()``), ``run``
    (the id of the enclosing run or None), ``thread`` (its id) and the event's ``fields``,
    also readable as attributes or items (``event.seconds``, ``event["seconds"]``). A
    field cannot be named ``event`` (``emit``'s first parameter)."""
    __slots__ = ("event", "time", "run", "thread", "fields")

    def __init__(self, event: str, fields: dict, run=None):
        self.event = event
        self.time = time.time()
        self.run = run
        self.thread = threading.get_ident()
        self.fields = fields

    def __getattr__(self, key):
        try:
            return self.fields[key]
        except KeyError:
            raise AttributeError(f"event {self.event!r} has no field {key!r}") from None

    def __getitem__(self, key):
        return self.fields[key]

    def get(self, key, default=None):
        return self.fields.get(key, default)

    def __repr__(self):
        body = ", ".join(f"{k}={v!r}" for k, v in self.fields.items())
        return f"Event({self.event}: {body})"


class _Subscriber:
    __slots__ = ("id", "callback", "events", "runs_only", "warned")

    def __init__(self, callback, events, runs_only=False):
        self.id = next(_IDS)
        self.callback = callback
        self.events = events
        self.runs_only = runs_only
        self.warned = False

    def __repr__(self):
        return f"<hook {self.id}: {getattr(self.callback, '__qualname__', self.callback)!r}>"


def _event_set(events):
    if events is None:
        return None
    events = {events} if isinstance(events, str) else set(events)
    unknown = events.difference(EVENTS)
    if unknown:
        raise ValueError(f"unknown event(s) {sorted(unknown)}; known: {list(EVENTS)}")
    return frozenset(events)


def subscribe(callback, events=None, runs_only: bool = False):
    """Call ``callback(event)`` for every event (or those named in ``events``; with
    ``runs_only``, only events inside a run, so evaluations outside runs skip the work of
    reporting to it). Returns a handle for ``unsubscribe``."""
    if not callable(callback):
        raise TypeError(f"hook callback must be callable, got {type(callback).__name__}")
    sub = _Subscriber(callback, _event_set(events), runs_only)
    with _LOCK:
        SUBSCRIBERS.append(sub)
    return sub


def unsubscribe(handle) -> bool:
    """Stop a subscription; False if it was not subscribed (already removed)."""
    with _LOCK:
        try:
            SUBSCRIBERS.remove(handle)
        except ValueError:
            return False
    return True


def emit(event: str, **fields) -> None:
    """Deliver an event to its subscribers (in subscription order). Cheap to call with
    nobody subscribed, but callers on hot paths test ``if SUBSCRIBERS:`` first (and
    ``wants(event)`` before an expensive payload)."""
    if not SUBSCRIBERS:
        return
    ev = Event(event, fields, _RUN.get())
    for sub in tuple(SUBSCRIBERS):
        if sub.events is not None and event not in sub.events or \
                sub.runs_only and ev.run is None:
            continue
        try:
            sub.callback(ev)
        except Exception as e:  # noqa: BLE001 - a hook never breaks the pipeline
            errors.append((sub, event, e))
            if not sub.warned:
                sub.warned = True
                warnings.warn(f"weldish: hook {sub!r} raised on event {event!r} "
                              f"({type(e).__name__}: {e}); the pipeline goes on, further "
                              f"errors of this hook are kept in weldish.hooks.errors",
                              RuntimeWarning, stacklevel=2)


def wants(event: str) -> bool:
    """Whether any subscriber takes ``event`` (emitted here and now: a subscriber of
    events inside runs only does not want one outside a run)."""
    in_run = _RUN.get() is not None
    return any((s.events is None or event in s.events) and (in_run or not s.runs_only)
               for s in tuple(SUBSCRIBERS))


@contextmanager
def listen(events=None):
    """Collect the events of the block, in order, into the list it yields."""
    log: list = []
    handle = subscribe(log.append, events)
    try:
        yield log
    finally:
        unsubscribe(handle)


def current_run():
    """The id of the run enclosing this call (see ``running``), or None."""
    return _RUN.get()


class Run:
    """A run in progress: ``id``, ``start`` (``time.time()``) and ``fields`` (what its end
    event will carry; a runner adds sizes and fingerprints as it learns them)."""
    __slots__ = ("id", "parent", "start", "fields")

    def __init__(self, fields, parent=None):
        self.id = uuid.uuid4().hex
        self.parent = parent
        self.start = time.time()
        self.fields = fields


@contextmanager
def running(**fields):
    """A run: emits ``run`` (phase "start") on entry and ``run`` (phase "end", with
    ``seconds`` and ``error``) on exit; events emitted inside carry its id, and a run
    started inside another names it as ``parent``. Yields the
    ``Run``; fields added to ``run.fields`` go out with the end event. The run id is set
    even when nobody subscribes (a hook subscribed mid-run still sees a consistent id)."""
    run = Run(dict(fields), _RUN.get())
    token = _RUN.set(run.id)
    t0 = time.perf_counter()
    if SUBSCRIBERS:
        emit("run", phase="start", start=run.start, parent=run.parent, **run.fields)
    error = None
    try:
        yield run
    except BaseException as e:
        error = f"{type(e).__name__}: {e}"
        raise
    finally:
        try:
            if SUBSCRIBERS:
                emit("run", **dict(run.fields, phase="end", start=run.start, parent=run.parent,
                                   seconds=time.perf_counter() - t0, error=error))
        finally:
            _RUN.reset(token)
