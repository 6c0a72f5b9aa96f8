"""What programme operations need from the site: where facts go, how messages look, who listens."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rm_plugin.exports.renderer import Renderer

if TYPE_CHECKING:
    from rm_plugin.site import Site


@dataclass(frozen=True)
class ProgrammeContext:
    """Connection names by role, the template renderer, and the hook relay (``None``: no hooks).

    ``progress`` connections receive completions and awards, ``notify`` ones messages,
    ``calendar`` ones the agreed schedule.
    """

    progress: tuple[str, ...] = ()
    notify: tuple[str, ...] = ()
    calendar: tuple[str, ...] = ()
    renderer: Renderer = field(default_factory=Renderer)
    hook: Any = None

    @classmethod
    def from_site(cls, site: Site) -> ProgrammeContext:
        def names(role: str) -> tuple[str, ...]:
            return tuple(c.name for c in site.enabled_connections(role=role))

        return cls(
            progress=names("progress"),
            notify=names("notify"),
            calendar=names("calendar"),
            renderer=Renderer(site.exports_dir),
            hook=site.hook,
        )
