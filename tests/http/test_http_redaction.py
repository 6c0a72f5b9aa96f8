"""Secrets stay out of text: known values, conventional fields, headers, log records."""

from __future__ import annotations

import io
import logging
import string

from hypothesis import given
from hypothesis import strategies as st

from rm_plugin.http import RedactingFilter, Redactor, Secret


def test_secret_hides_itself_everywhere_but_reveal() -> None:
    secret = Secret("tok123")
    shown = [repr(secret), str(secret), f"{secret}", repr({"token": secret})]
    assert all("tok123" not in text for text in shown)
    assert repr(secret) == "Secret('***')"
    assert secret.reveal() == "tok123"
    assert secret == Secret("tok123") and secret != Secret("other")


def test_known_secret_is_masked_raw_and_url_encoded() -> None:
    redactor = Redactor([Secret("p@ss/w+rd")])
    text = "raw p@ss/w+rd quoted p%40ss%2Fw%2Brd plus p%40ss%2Fw%2Brd path p%40ss/w%2Brd"
    assert redactor.redact(text) == "raw *** quoted *** plus *** path ***"


def test_secret_fields_in_query_form_json_and_xml_are_masked() -> None:
    redactor = Redactor()
    url = "https://m.example/webservice/rest/server.php?wstoken=abc&wsfunction=core_x&moodlewsrestformat=json"
    assert redactor.redact(url) == (
        "https://m.example/webservice/rest/server.php?wstoken=***&wsfunction=core_x&moodlewsrestformat=json"
    )
    form = "users[0][username]=ann&users[0][password]=pw1&users%5B1%5D%5Bpassword%5D=pw2"
    assert redactor.redact(form) == (  # a username is personal data: masked too
        "users[0][username]=***&users[0][password]=***&users%5B1%5D%5Bpassword%5D=***"
    )
    body = '{"refresh_token": "r1", "client_secret": "it\'s \\"x\\"", "grant_type": "refresh_token"}'
    assert redactor.redact(body) == (
        '{"refresh_token": "***", "client_secret": "***", "grant_type": "refresh_token"}'
    )
    soap = '<wsse:Password Type="PasswordText">pw3</wsse:Password><wd:Count>999</wd:Count>'
    assert (
        redactor.redact(soap)
        == '<wsse:Password Type="PasswordText">***</wsse:Password><wd:Count>999</wd:Count>'
    )


def test_ordinary_words_survive() -> None:
    message = "Invalid token - token not found; password policy unchanged"
    assert Redactor().redact(message) == message


def test_headers_and_credentials_in_urls_and_dumps_are_masked() -> None:
    redactor = Redactor()
    headers = {"Authorization": "Basic YWJjOng=", "Accept": "application/json", "X-Api-Key": "k1"}
    assert redactor.redact_headers(headers) == {
        "Authorization": "***",
        "Accept": "application/json",
        "X-Api-Key": "***",
    }
    assert redactor.redact(str(headers)).count("***") == 2
    assert (
        redactor.redact("Authorization: Bearer eyJhbGciOi.x.y\nAccept: */*")
        == "Authorization: ***\nAccept: */*"
    )
    assert redactor.redact("sent Bearer eyJhbGciOi.x.y") == "sent Bearer ***"
    assert redactor.redact("https://isu@acme:pw9@wd5.example/ccx") == "https://isu@acme:***@wd5.example/ccx"


def test_encoded_forms_a_client_sends_are_masked() -> None:
    import base64
    import json

    redactor = Redactor([Secret("SEKRET-123"), Secret('p"w/1')])
    as_user = base64.b64encode(b"SEKRET-123:x").decode()
    as_password = base64.b64encode(b"isu@acme:SEKRET-123").decode()
    in_json = json.dumps({"pw": 'p"w/1'})
    text = f"auth=Basic {as_user}; echoed {as_password}; json {in_json}"
    shown = redactor.redact(text)
    assert as_user not in shown and as_password not in shown and "SEKRET" not in shown
    assert 'p\\"w/1' not in shown and shown.count("***") == 3
    # Basic credentials of a secret nobody told us about are masked by their shape
    assert Redactor().redact("Authorization was Basic dXNlcjpwYXNz") == "Authorization was Basic ***"
    # ordinary words are not
    assert Redactor(["SEKRET-123"]).redact("Basic information, Reticulating splines") == (
        "Basic information, Reticulating splines"
    )


@given(
    secret=st.text(alphabet=string.ascii_letters + string.digits + "-_.~", min_size=4, max_size=40),
    user=st.text(alphabet=string.ascii_letters + "@.", max_size=12),
    before=st.text(max_size=30),
)
def test_a_known_secret_never_survives_base64(secret: str, user: str, before: str) -> None:
    import base64

    redactor = Redactor([secret])
    for credentials in (f"{secret}:x", f"{user}:{secret}"):
        encoded = base64.b64encode(credentials.encode()).decode()
        assert encoded not in redactor.redact(before + " " + encoded + " end")


@given(
    secret=st.text(alphabet=string.ascii_letters + string.digits + "!$%&/+=?@-_.~ ", min_size=4, max_size=40),
    before=st.text(max_size=30),
    after=st.text(max_size=30),
)
def test_a_known_secret_never_survives(secret: str, before: str, after: str) -> None:
    assert secret not in Redactor([secret]).redact(before + secret + after)


def test_logging_filter_masks_message_args_and_traceback() -> None:
    # A handler of its own, so no other handler formats the record first.
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter(Redactor(["tok123"])))
    log = logging.getLogger("test.redaction")
    log.addHandler(handler)
    log.propagate = False
    try:
        raise RuntimeError("failed with wstoken=tok123")
    except RuntimeError:
        log.exception("calling %s with %s", "https://m.example/?wstoken=tok123", {"password": "pw1"})
    finally:
        log.removeHandler(handler)
        log.propagate = True
    text = stream.getvalue()
    assert "tok123" not in text and "pw1" not in text
    assert "wstoken=***" in text and "RuntimeError" in text


def test_emails_and_names_are_masked_like_secrets() -> None:
    redactor = Redactor()
    answer = '[{"id": 7, "username": "asmith", "email": "ann.smith@example.org", "fullname": "Ann Smith"}]'
    assert redactor.redact(answer) == '[{"id": 7, "username": "***", "email": "***", "fullname": "***"}]'
    assert redactor.redact("no user matches ann.smith@example.org") == "no user matches ***"
    assert redactor.redact("<wd:Formatted_Name>Ann Smith</wd:Formatted_Name>") == (
        "<wd:Formatted_Name>***</wd:Formatted_Name>"
    )
