"""The shipped source catalogue holds every text the portal's templates and views mark for
translation, so a company translating it misses none."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

WEB = Path(__file__).resolve().parents[2] / "rm_plugin" / "web"


def test_the_shipped_catalogue_lists_every_marked_text() -> None:
    method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None}
    marked = {
        message if isinstance(message, str) else message[0]
        for _, _, message, _, _ in extract_from_dir(str(WEB), method_map, keywords=keywords)
    }
    with (WEB / "translations" / "messages.pot").open("rb") as fh:
        shipped = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh) if m.id}
    missing = sorted(marked - shipped)
    assert not missing, "run `pybabel extract` (README, Languages of the portal); missing:\n" + "\n".join(
        missing
    )
    assert (WEB / "translations" / "en" / "LC_MESSAGES" / "messages.mo").exists()
