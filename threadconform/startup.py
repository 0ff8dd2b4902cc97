"""What a suite run pays before its first request, and the costs it does not pay; and
the one guard a run of probes side by side needs from the interpreter.

Measured on a suite run of one contract against a loopback server, with bytecode writing
off (`PYTHONDONTWRITEBYTECODE=1`, common in containers and CI):

* pytest rewrites the asserts of every module of every installed distribution that ships
  a pytest plugin (Hypothesis, Schemathesis, anyio, xdist...), recompiling each from its
  source on every run when it may not cache the result: about 2 s of a 6-8 s run. The
  suite's own test modules assert nothing (each reports its rule's verdict), so a run of
  the suite alone needs none of it: `stop_assert_rewriting` is `--assert=plain` decided
  after the run is known to be the suite's.
* Hypothesis computes which characters UTF-8 can encode (Schemathesis asks for that
  alphabet) by trying all 1,114,112 code points, about 3 s, and caches the table in its
  storage folder, `.hypothesis/` under the current folder by default. The suite keeps
  that folder out of the user's (and out of a checkout): `keep_hypothesis_tables` puts it
  in the user's cache folder, so the table is computed once per machine. The suite's
  Hypothesis settings use no example database, so the folder holds tables only and never
  changes what a seed draws.
"""

from __future__ import annotations

import ast
import atexit
import ctypes
import functools
import gc
import os
import sys
import threading
from pathlib import Path
from typing import Any

__all__ = [
    "CACHE_OPTIONS",
    "HYPOTHESIS_STORAGE",
    "bound_malloc_arenas",
    "cache_folder",
    "freeze_at_exit",
    "freeze_imported",
    "keep_hypothesis_tables",
    "leave_no_pytest_cache",
    "serialize_ast_parse",
    "stop_assert_rewriting",
]

HYPOTHESIS_STORAGE = "HYPOTHESIS_STORAGE_DIRECTORY"
# pytest options that read or write `.pytest_cache/` (--lf, --ff, --nf, --cache-show,
# --cache-clear, --sw, --sw-skip): given one, the user wants the cache.
CACHE_OPTIONS = (
    "lf",
    "failedfirst",
    "newfirst",
    "cacheshow",
    "cacheclear",
    "stepwise",
    "stepwise_skip",
)


def stop_assert_rewriting() -> bool:
    """Take pytest's assertion-rewriting import hook out of `sys.meta_path`: modules
    imported from now on load as Python compiles them. True if a hook was removed."""
    hooks = [f for f in sys.meta_path if type(f).__name__ == "AssertionRewritingHook"]
    for hook in hooks:
        sys.meta_path.remove(hook)  # pytest's own cleanup removes it only if still there
    return bool(hooks)


def cache_folder() -> Path:
    """The user's cache folder for threadconform (XDG_CACHE_HOME, else ~/.cache)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base, "threadconform")


def keep_hypothesis_tables() -> str | None:
    """Point Hypothesis' storage at the user's cache folder unless the user chose one
    (HYPOTHESIS_STORAGE_DIRECTORY): the folder it now uses, or None when left alone."""
    if os.environ.get(HYPOTHESIS_STORAGE):
        return None
    folder = str(cache_folder() / "hypothesis")
    os.environ[HYPOTHESIS_STORAGE] = folder
    return folder


def leave_no_pytest_cache(config: Any) -> bool:
    """A suite run leaves its reports in the user's folder and nothing else: pytest's
    cache plugin (`.pytest_cache/`, last-failed lists the suite never reads) is blocked as
    `-p no:cacheprovider` would block it, with the step-wise plugin that needs it; unless
    an option asks for the cache. `config`: pytest's, before it is configured. True if
    blocked."""
    if any(config.getoption(name, default=None) for name in CACHE_OPTIONS):
        return False
    for name in ("cacheprovider", "stepwise"):
        config.pluginmanager.set_blocked(name)
    return True


_AST_LOCK = threading.Lock()


def serialize_ast_parse() -> bool:
    """Let one thread at a time build an AST, on interpreters where two at once can fail.

    CPython before 3.13 keeps the AST builder's recursion depth per interpreter, not per
    thread: two threads in `ast.parse` at once can raise "SystemError: AST constructor
    recursion depth mismatch" (CPython gh-106905). Hypothesis parses the source of every
    lambda it filters with, so two fuzz probes side by side (--concurrency) crashed one of
    them about one run in four. `ast.parse` is wrapped in a lock; True when it is now."""
    if sys.version_info >= (3, 13) or getattr(ast.parse, "serialized_by_threadconform", False):
        return False
    parse = ast.parse

    @functools.wraps(parse)
    def serialized(*args: Any, **kwargs: Any) -> Any:
        with _AST_LOCK:
            return parse(*args, **kwargs)

    serialized.serialized_by_threadconform = True  # type: ignore[attr-defined]
    ast.parse = serialized
    return True


# glibc's mallopt parameter for the most malloc arenas a process keeps (<malloc.h>).
_M_ARENA_MAX = -8
MALLOC_ARENAS = 2


def bound_malloc_arenas(count: int = MALLOC_ARENAS) -> bool:
    """Let the C allocator keep at most `count` arenas; True when it now does.

    glibc gives each thread that allocates an arena of its own (up to 8 per core), and an
    arena keeps what was freed in it: with probes and walks side by side at the default
    --concurrency 8, a run's peak RSS grew by a quarter (kortix against 100,000 threads:
    123 MB at 1, 156 MB at 8). Two arenas keep it within a tenth (132 MB). Called before
    the run starts a thread; a no-op where the C library has no `mallopt` (musl, macOS)."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_ARENA_MAX, count))


def freeze_imported() -> None:
    """Leave what is imported so far out of the cyclic garbage collector's full passes
    (`gc.freeze`), until `thaw_imported`.

    Hypothesis runs a full collection (`gc.collect()`, in `register_random`) the first
    time each thread runs a test, and a run has several such threads (the fuzz probes,
    Hypothesis' walks, probes side by side): over the half a million objects pytest,
    Hypothesis and the suite import, 7-9 full passes cost 0.43 s of a 3.2 s worker run at
    --concurrency 8; frozen, 0.10-0.15 s. Imported modules, classes and functions live
    for the whole run, so leaving them out frees nothing that would have been freed."""
    gc.freeze()


def thaw_imported() -> None:
    """Undo `freeze_imported` when the run ends: a process that runs the suite again (the
    mutation matrix's workers) collects the last run's cycles with everything else."""
    gc.unfreeze()


def freeze_at_exit() -> None:
    """Freeze the whole heap when the interpreter exits, before its last full collection.

    After a run, nothing is left to collect that matters (the reports are written and
    closed, the connections shut): the collection the interpreter makes on its way out
    only walks the run's objects, 0.3 s of a 5-6 s worker run against 0.06 s frozen.
    Registered once per process however many runs it makes (atexit runs it last-in,
    first-out: before the interpreter's own collection)."""
    atexit.unregister(_freeze_heap)
    atexit.register(_freeze_heap)


def _freeze_heap() -> None:
    gc.freeze()
