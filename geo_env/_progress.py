"""Progress of the long steps: tqdm bars, in a notebook or a terminal, that can be silenced.

The steps that take seconds on a county (reading the layers, building the road network,
siting transfer stations, the sewage pipeline, analysing, writing the output folder) each
announce their named steps through :class:`Steps`.  Where the steps go:

* to a **callback**, when the caller passes one as ``progress=`` (the CLI prints its
  ``[  0.3s] analysing: waste`` lines this way): no bar is drawn for those steps;
* else to a **tqdm bar** — a notebook widget in a Jupyter kernel (a text bar there when
  ipywidgets is missing), a text bar on a terminal — when bars are on;
* else nowhere.

Whether bars are on, first match wins:

1. ``progress=False`` / ``progress=True`` of the call that is running (also silences or
   shows the bars of the steps inside it), or the CLI's ``-q`` (:func:`switch`);
2. ``geo_env.options.progress = False`` / ``True`` (``None``: not set);
3. the environment variable ``GEO_ENV_PROGRESS`` (``0``/``off``/``false``/``no`` or
   ``1``/``on``/``true``/``yes``; ``auto`` or empty: not set);
4. automatic: on in a Jupyter kernel and when stderr is a terminal; off otherwise (pipes,
   logs, CI, the test suite).

tqdm is imported only when a bar is drawn (``import geo_env`` stays instant).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any, Union

from .errors import ParameterError

__all__ = ["ENV_VAR", "Options", "Progress", "Steps", "bars_on", "in_notebook", "options", "switch"]

#: The environment variable that switches the bars (see the module's docstring).
ENV_VAR = "GEO_ENV_PROGRESS"
_ENV_VALUES = {"0": False, "off": False, "false": False, "no": False,
               "1": True, "on": True, "true": True, "yes": True, "auto": None, "": None}

#: What a ``progress=`` argument may be: a callback given each step's name, a switch for
#: the bars (True/False), or None (automatic).
Progress = Union[Callable[[str], None], bool, None]

#: The switch of the call that is running (``progress=True/False``, the CLI's ``-q``).
_CALL: ContextVar[bool | None] = ContextVar("geo_env_progress", default=None)


class Options:
    """geo_env's global options (``geo_env.options``), validated when set.

    Attributes
    ----------
    progress
        ``True`` shows progress bars, ``False`` silences them, ``None`` (default) leaves
        it to ``GEO_ENV_PROGRESS`` and to the automatic rule (notebook or terminal).
    """

    __slots__ = ("_progress",)

    def __init__(self) -> None:
        self._progress: bool | None = None

    @property
    def progress(self) -> bool | None:
        return self._progress

    @progress.setter
    def progress(self, value: bool | None) -> None:
        if value is not None and not isinstance(value, bool):
            raise ParameterError(f"geo_env.options.progress must be True, False or None, not {value!r}",
                                 hint="True shows progress bars, False silences them, None decides automatically")
        self._progress = value

    def __repr__(self) -> str:
        return f"geo_env.options(progress={self._progress!r})"


#: The one instance (re-exported as ``geo_env.options``).
options = Options()


def in_notebook() -> bool:
    """True in a Jupyter (IPython) kernel; False in plain Python, terminal IPython, the CLI."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    try:
        shell = ipython.get_ipython()
    except Exception:  # noqa: BLE001 - a half-imported IPython is no kernel
        return False
    return shell is not None and getattr(shell, "kernel", None) is not None


def _env_switch() -> bool | None:
    raw = os.environ.get(ENV_VAR, "")
    key = raw.strip().lower()
    if key not in _ENV_VALUES:
        raise ParameterError(f"the environment variable {ENV_VAR}={raw!r} is not one of 0, 1, off, on, auto",
                             hint=f"set {ENV_VAR}=0 to silence the progress bars, 1 to show them, or unset it")
    return _ENV_VALUES[key]


def bars_on() -> bool:
    """Whether a progress bar drawn now would show (the rules of the module's docstring)."""
    for switch_ in (_CALL.get(), options.progress, _env_switch()):
        if switch_ is not None:
            return switch_
    if in_notebook():
        return True
    isatty = getattr(sys.stderr, "isatty", None)
    return bool(isatty and isatty())


@contextlib.contextmanager
def switch(on: bool | None) -> Iterator[None]:
    """Bars on (True), off (False) or as they were (None) for the code inside, whatever the
    global options say (``progress=False`` of a call; the CLI's ``-q``)."""
    token = _CALL.set(on) if on is not None else None
    try:
        yield
    finally:
        if token is not None:
            _CALL.reset(token)


def _bar_class() -> Any:
    """tqdm's notebook widget in a kernel with ipywidgets, else its text bar (never the
    "IProgress not found" warning of ``tqdm.auto``)."""
    if in_notebook():
        try:
            import ipywidgets  # noqa: F401
            from tqdm.notebook import tqdm as notebook_bar
        except ImportError:
            pass
        else:
            return notebook_bar
    from tqdm.std import tqdm as text_bar

    return text_bar


class Steps:
    """The named steps of one long task, announced to a callback or on a progress bar.

    >>> with Steps("analysing", total=3, progress=False) as step:
    ...     for name in ("waste", "sewage", "livestock"):
    ...         step(name)

    Parameters
    ----------
    desc
        What the task is (the bar's label), e.g. ``"reading layers"``.
    total
        How many steps the task has (the bar's length); steps beyond it are counted too.
    progress
        A callback (given each step's name; no bar), True/False (bars on/off for this task
        and every task inside it) or None (automatic).
    """

    def __init__(self, desc: str, total: int | None = None, *, progress: Progress = None) -> None:
        self.desc = desc
        self.total = total
        self.callback = progress if callable(progress) else None
        self._switch = switch(progress if isinstance(progress, bool) else None)
        self._bar: Any = None
        self._started = 0
        self._finished = 0

    def __enter__(self) -> Steps:
        self._switch.__enter__()
        try:
            if self.callback is None and bars_on():
                # shown while the task runs, gone when it is done (a sweep of 20 runs leaves no 20 bars)
                self._bar = _bar_class()(total=self.total, desc=self.desc, unit="step", leave=False,
                                         dynamic_ncols=True)
        except BaseException:  # a bad GEO_ENV_PROGRESS: the switch is undone before the error leaves
            self._switch.__exit__(*sys.exc_info())
            raise
        return self

    def __call__(self, name: str) -> None:
        """Step ``name`` starts (the one before it is done)."""
        if self.callback is not None:
            self.callback(name)
        elif self._bar is not None:
            if self._started:
                self._bar.update(1)
            self._bar.set_postfix_str(name, refresh=True)
        self._started += 1

    def done(self, name: str) -> None:
        """Step ``name`` is done (for tasks that announce a step when it ends: the sewage
        pipeline's clock)."""
        if self.callback is not None:
            self.callback(name)
        elif self._bar is not None:
            self._bar.update(1)
            self._bar.set_postfix_str(name, refresh=True)
        self._finished += 1

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        try:
            if self._bar is not None:
                if exc_type is None:  # the last step is done; steps that did not apply count as done
                    self._bar.update(max(self._started, self._finished, self.total or 0) - self._bar.n)
                    self._bar.set_postfix_str("done", refresh=True)
                self._bar.close()
        finally:
            self._switch.__exit__(exc_type, exc, tb)
