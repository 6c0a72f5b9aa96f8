"""The bundled sample organisation: a roster and applications the demo and ``--sample`` use."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def applications_csv() -> Path:
    """The bundled sample applications (``applications import PROGRAMME --sample``)."""
    return Path(str(resources.files("rm_plugin") / "sample" / "applications.csv"))
