"""The stand-ins of bench/standins/ served on 127.0.0.1 (a free port) for the length of a test."""

from __future__ import annotations

import importlib
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

STANDINS = Path(__file__).parents[2] / "bench" / "standins"


def standin(name: str) -> ModuleType:
    """``bench/standins/<name>.py`` (and its ``org`` module), imported."""
    sys.path[:0] = [str(STANDINS)]
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(STANDINS))


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def served(app: Any) -> Iterator[str]:
    """The base URL of ``app`` served in a thread; stopped on exit."""
    server = make_server("127.0.0.1", 0, app, handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
