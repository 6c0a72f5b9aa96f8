"""Success stories: draft, both consents, publish; withdrawal unpublishes; names only as consented."""

from __future__ import annotations

import datetime as dt

import pytest
from report_factory import SLUG

from rm_plugin.errors import NotFound
from rm_plugin.reports import stories
from rm_plugin.reports.stories import StoryError

TODAY = dt.date(2026, 6, 1)


@pytest.fixture
def pair(org):  # type: ignore[no-untyped-def]
    org.person("SEN", 9, given_name="Isla", family_name="Bauer", title="Vice President")
    org.person("JUN", 2, given_name="Grace", family_name="Wang", title="Associate")
    org.person("OUT", 3)
    return org.pair("SEN", "JUN", activated=dt.date(2026, 1, 6))


def newsletter(work, fmt: str = "md") -> str:  # type: ignore[no-untyped-def]
    return stories.render_stories(work.session, work.ctx, SLUG, "newsletter", fmt, work.today)


def test_a_story_goes_from_draft_through_both_consents_to_published_and_back(pair, work_on) -> None:  # type: ignore[no-untyped-def]
    with work_on(TODAY) as work:
        story = stories.draft(work, "SEN", SLUG, title="Boards, not decks", learned="Short videos work.")
        assert story.status == "draft" and not story.publishable
        with pytest.raises(
            StoryError, match=r"no consent to this version from mentee SEN \(none\), mentor JUN"
        ):
            stories.publish(work, "ADMIN", SLUG, story.id)
        stories.consent(work, "SEN", SLUG, "name")
        stories.consent(work, "JUN", SLUG, "anonymous")
        with pytest.raises(StoryError, match="only the admin of rm-2026"):
            stories.publish(work, "SEN", SLUG, story.id)
        published = stories.publish(work, "ADMIN", SLUG, story.id)
        assert published.status == "published"
        text = newsletter(work)
        assert "Boards, not decks" in text and "Isla Bauer, Vice President (mentee)" in text
        assert "Grace" not in text and "a mentor who chose not to be named" in text
        stories.withdraw(work, "JUN", SLUG)
        assert "Boards, not decks" not in newsletter(work)
        (listed,) = stories.list_stories(work, "ADMIN", SLUG)
        assert listed.status == "draft"
        assert [c.state for c in listed.consents] == ["given", "withdrawn"]
        stories.consent(work, "JUN", SLUG, "name")  # consenting again does not republish by itself
        assert "Boards, not decks" not in newsletter(work)
        stories.publish(work, "ADMIN", SLUG, story.id)
        assert "Grace Wang, Associate (mentor)" in newsletter(work)


def test_an_edit_needs_both_consents_again_and_unpublishes(pair, work_on) -> None:  # type: ignore[no-untyped-def]
    with work_on(TODAY) as work:
        story = stories.draft(work, "JUN", SLUG, title="Listening first", changed="Newest voice first.")
        stories.consent(work, "SEN", SLUG, "name")
        stories.consent(work, "JUN", SLUG, "name")
        stories.publish(work, "ADMIN", SLUG, story.id)
        edited = stories.edit(work, "ADMIN", SLUG, story_id=story.id, title="Listening first, always")
        assert (edited.version, edited.status) == (2, "draft")
        assert [c.state for c in edited.consents] == ["outdated", "outdated"]
        assert "Listening first" not in newsletter(work, "html")
        with pytest.raises(StoryError, match="version 2"):
            stories.publish(work, "ADMIN", SLUG, story.id)
        same = stories.edit(work, "SEN", SLUG, title="Listening first, always")  # no change, no new version
        assert same.version == 2


def test_who_may_draft_edit_and_see(pair, work_on) -> None:  # type: ignore[no-untyped-def]
    with work_on(TODAY) as work:
        with pytest.raises(StoryError, match="OUT is not in an active or closed pair of rm-2026"):
            stories.draft(work, "OUT", SLUG, title="Mine", learned="x")
        with pytest.raises(StoryError, match=r"a story needs a title.*what you learned or what changed"):
            stories.draft(work, "SEN", SLUG, title=None, learned="", changed="")  # type: ignore[arg-type]
        with pytest.raises(StoryError, match="the title is 201 characters long; at most 200"):
            stories.draft(work, "SEN", SLUG, title="x" * 201, learned="y")
        story = stories.draft(work, "SEN", SLUG, title="Ours", learned="y")
        with pytest.raises(StoryError, match="already has story"):
            stories.draft(work, "JUN", SLUG, title="Also ours", learned="z")
        with pytest.raises(StoryError, match="OUT is not in"):
            stories.edit(work, "OUT", SLUG, story_id=story.id, title="Taken over")
        with pytest.raises(StoryError, match="choose how you are shown"):
            stories.consent(work, "SEN", SLUG, "nickname")
        assert stories.list_stories(work, "OUT", SLUG) == []
        assert [s.id for s in stories.list_stories(work, "JUN", SLUG)] == [story.id]
        with pytest.raises(NotFound, match="no story 99"):
            stories.publish(work, "ADMIN", SLUG, 99)


def test_withdrawing_all_of_a_persons_stories_unpublishes_them(pair, work_on, org) -> None:  # type: ignore[no-untyped-def]
    with work_on(TODAY) as work:
        story = stories.draft(work, "SEN", SLUG, title="Ours", learned="y")
        stories.consent(work, "SEN", SLUG, "name")
        stories.consent(work, "JUN", SLUG, "name")
        stories.publish(work, "ADMIN", SLUG, story.id)
        assert stories.withdraw_all_for_person(work, org.ids["JUN"]) == 1
        (listed,) = stories.list_stories(work, "ADMIN", SLUG)
        assert listed.status == "draft" and listed.consents[1].state == "withdrawn"
        assert stories.published(work.session, SLUG) == []
        assert stories.withdraw_all_for_person(work, org.ids["OUT"]) == 0


def test_markdown_shows_what_people_typed_and_runs_nothing(pair, work_on) -> None:  # type: ignore[no-untyped-def]
    typed = "# Big [link](javascript:alert(1)) <script>x</script> & *bold*"
    with work_on(TODAY) as work:
        story = stories.draft(
            work, "SEN", SLUG, title=typed, learned="1. not a list\n- nor this\n    nor code"
        )
        stories.consent(work, "SEN", SLUG, "name")
        stories.consent(work, "JUN", SLUG, "name")
        stories.publish(work, "ADMIN", SLUG, story.id)
        text = stories.render_stories(work.session, work.ctx, SLUG, "intranet", "md", work.today)
        html = stories.render_stories(work.session, work.ctx, SLUG, "intranet", "html", work.today)
    assert (
        "## \\# Big \\[link\\](javascript:alert(1)) &lt;script&gt;x&lt;/script&gt; &amp; \\*bold\\*" in text
    )
    assert "1\\. not a list\n\\- nor this\n" in text  # neither a numbered nor a bulleted list
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_erasing_a_member_unpublishes_their_pairs_story_and_empties_what_they_wrote(
    pair, work_on, org
) -> None:  # type: ignore[no-untyped-def]
    from rm_plugin.people.data_rights import erase_person
    from rm_plugin.store.models import Story

    with work_on(TODAY) as work:
        story = stories.draft(
            work, "SEN", SLUG, title="Boards, not decks", learned="Isla Bauer learned fast."
        )
        stories.consent(work, "SEN", SLUG, "name")
        stories.consent(work, "JUN", SLUG, "name")
        stories.publish(work, "ADMIN", SLUG, story.id)
    org.close(pair, dt.date(2026, 6, 2))
    with work_on(TODAY) as work:
        erase_person(work.session, "SEN", by="ADMIN")
    with work_on(TODAY) as work:
        row = work.session.get(Story, story.id)
        assert (row.status, row.title, row.learned, row.author_id) == ("draft", "", "", None)
        assert stories.published(work.session, SLUG) == []
        (listed,) = stories.list_stories(work, "ADMIN", SLUG)
        assert [c.state for c in listed.consents] == ["withdrawn", "given"]
        assert "Isla" not in newsletter(work) and "Boards" not in newsletter(work)
