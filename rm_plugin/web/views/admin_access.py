"""Who may open which admin page, for every admin view to ask in one way.

Rights come from rm-plugin's data, never from the platform's roles: a programme's admin is
its ``admin_hr_id``; a reviewer is a member of a programme's review panel (its ``reviewers``
setting). A refusal raises NotPermitted, which the app answers with 403.
"""

from __future__ import annotations

from rm_plugin.errors import NotPermitted
from rm_plugin.matching.review_queue import on_a_panel
from rm_plugin.programme.admin_rights import AdminProgramme, administered, programme_for_admin
from rm_plugin.programme.participant import Participant
from rm_plugin.unit_of_work import UnitOfWork, unit_of_work
from rm_plugin.web.portal import portal

__all__ = ["AdminProgramme", "admin_programme", "admin_programmes", "require_some_admin", "sees_admin_pages"]


def admin_programme(work: UnitOfWork, me: Participant, slug: str) -> AdminProgramme:
    """Programme ``slug`` if ``me`` is its admin; NotPermitted (403) otherwise."""
    return programme_for_admin(work, me.hr_id, slug)


def admin_programmes(work: UnitOfWork, me: Participant) -> list[AdminProgramme]:
    """The programmes ``me`` runs (empty for anyone who runs none)."""
    return administered(work, me.hr_id)


def require_some_admin(work: UnitOfWork, me: Participant) -> list[AdminProgramme]:
    """The programmes ``me`` runs; NotPermitted when none (the site-wide sync page needs one)."""
    programmes = administered(work, me.hr_id)
    if not programmes:
        raise NotPermitted(f"{me.hr_id} runs no programme")
    return programmes


def sees_admin_pages(me: Participant | None) -> bool:
    """Whether the page header links to the admin pages: for admins, review panel members and
    those the site lets create a programme."""
    if me is None:
        return False
    if me.hr_id in portal().settings.programme_creators:
        return True
    with unit_of_work(portal().site) as work:
        return bool(administered(work, me.hr_id)) or on_a_panel(work, me.hr_id)
