"""Who may open which admin page, for every admin view to ask in one way.

Rights come from rm-plugin's data, never from the platform's roles: a programme's admin is
its ``admin_hr_id``. A refusal raises NotPermitted, which the app answers with 403.
"""

from __future__ import annotations

from rm_plugin.programme.admin_rights import AdminProgramme, administered, programme_for_admin
from rm_plugin.programme.participant import Participant
from rm_plugin.unit_of_work import UnitOfWork

__all__ = ["AdminProgramme", "admin_programme", "admin_programmes"]


def admin_programme(work: UnitOfWork, me: Participant, slug: str) -> AdminProgramme:
    """Programme ``slug`` if ``me`` is its admin; NotPermitted (403) otherwise."""
    return programme_for_admin(work, me.hr_id, slug)


def admin_programmes(work: UnitOfWork, me: Participant) -> list[AdminProgramme]:
    """The programmes ``me`` runs (empty for anyone who runs none)."""
    return administered(work, me.hr_id)
