"""The Portuguese (Brazil) catalog is complete and compiled, and the language switch works."""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from integrations import run_errors
from tests.factories import make_merchant, make_order

MESSAGES = Path(settings.BASE_DIR) / "locale" / "pt_BR" / "LC_MESSAGES"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w+\}|</?\w+[^>]*>")


def _po_entries(path: Path) -> list[dict]:
    """Entries of a .po file: msgid, msgid_plural, msgstr (or msgstr[n]) and flags."""
    entries: list[dict] = []
    entry: dict | None = None
    key = None
    for raw in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        line = raw.strip()
        if not line:
            if entry is not None:
                entries.append(entry)
            entry, key = None, None
            continue
        if entry is None:
            entry = {"flags": set(), "msgstr": {}, "obsolete": False}
        if line.startswith("#~"):
            entry["obsolete"] = True
        elif line.startswith("#,"):
            entry["flags"].update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            value = ast.literal_eval(line)
            if key[0] == "msgstr":
                entry["msgstr"][key[1]] += value
            else:
                entry[key[0]] += value
        else:
            name, _space, quoted = line.partition(" ")
            value = ast.literal_eval(quoted)
            match = re.fullmatch(r"msgstr(?:\[(\d+)\])?", name)
            if match:
                key = ("msgstr", int(match.group(1)) if match.group(1) else None)
                entry["msgstr"][key[1]] = value
            else:
                key = (name, None)
                entry[name] = value
    return [e for e in entries if not e["obsolete"]]


@pytest.fixture(scope="module")
def po_entries() -> list[dict]:
    return _po_entries(MESSAGES / "django.po")


def test_header_names_the_language_and_its_plural_rule(po_entries):
    header = po_entries[0]
    assert header["msgid"] == ""
    assert "Language: pt_BR\n" in header["msgstr"][None]
    assert "Plural-Forms: nplurals=2; plural=(n > 1);\n" in header["msgstr"][None]


def test_every_message_is_translated_and_none_is_fuzzy(po_entries):
    messages = po_entries[1:]
    assert len(messages) > 300
    fuzzy = [e["msgid"] for e in messages if "fuzzy" in e["flags"]]
    assert fuzzy == []
    untranslated = [e["msgid"] for e in messages if not all(e["msgstr"].values())]
    assert untranslated == []
    plural_without_two_forms = [
        e["msgid"] for e in messages if "msgid_plural" in e and set(e["msgstr"]) != {0, 1}
    ]
    assert plural_without_two_forms == []


def test_translations_keep_placeholders_and_html(po_entries):
    wrong = []
    for entry in po_entries[1:]:
        source = sorted(PLACEHOLDER.findall(entry["msgid"]))
        if "msgid_plural" in entry:
            allowed = set(source) | set(PLACEHOLDER.findall(entry["msgid_plural"]))
            if set(PLACEHOLDER.findall(entry["msgstr"][1])) != allowed:
                wrong.append(entry["msgid"])
            if not set(PLACEHOLDER.findall(entry["msgstr"][0])) <= allowed:
                wrong.append(entry["msgid"])
        elif sorted(PLACEHOLDER.findall(entry["msgstr"][None])) != source:
            wrong.append(entry["msgid"])
    assert wrong == []


def test_compiled_catalog_matches_the_po_file(po_entries):
    """The committed .mo was compiled from the committed .po (a fresh machine needs no msgfmt)."""
    with (MESSAGES / "django.mo").open("rb") as mo:
        catalog = gettext.GNUTranslations(mo)
    stale = []
    for entry in po_entries[1:]:
        if "msgid_plural" in entry:
            for n, form in ((1, 0), (2, 1)):
                got = catalog.ngettext(entry["msgid"], entry["msgid_plural"], n)
                if got != entry["msgstr"][form]:
                    stale.append(entry["msgid"])
        elif catalog.gettext(entry["msgid"]) != entry["msgstr"][None]:
            stale.append(entry["msgid"])
    assert stale == []


@pytest.mark.django_db
def test_language_switcher_turns_the_panel_into_portuguese(client):
    _merchant, user = make_merchant()
    client.force_login(user)
    english = client.get(reverse("integrations:index")).content.decode()
    assert '<html lang="en">' in english
    assert "Integrations" in english

    response = client.post(
        reverse("set_language"), {"language": "pt-br", "next": reverse("integrations:index")}
    )
    assert response.status_code == 302

    page = client.get(reverse("integrations:index")).content.decode()
    assert '<html lang="pt-br">' in page
    assert ">Integrações</h1>" in page
    assert "Pedidos" in page
    assert "Sair" in page
    assert "Integrations" not in page


@pytest.mark.django_db
def test_plural_forms_and_the_google_drive_page_in_portuguese(client, settings):
    merchant, user = make_merchant()
    make_order(merchant)
    make_order(merchant)
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "pt-br"

    orders = client.get(reverse("documents:orders")).content.decode()
    assert "2 pedidos" in orders

    drive = client.get(reverse("integrations:google_drive")).content.decode()
    assert "Conectar conta Google" in drive
    assert "O que salvar" in drive


def test_run_errors_are_described_in_the_viewers_language():
    entry = {"code": "quota", "message": run_errors.english_message("quota")}
    with translation.override("pt-br"):
        assert run_errors.describe(entry).startswith("Seu Google Drive está cheio")
        more = {"code": "more_errors", "params": {"count": 3}}
        assert run_errors.describe(more).startswith("Mais 3 arquivos")
    assert entry["message"].startswith("Your Google Drive is full")


@pytest.mark.parametrize(
    ("count", "english", "portuguese"),
    [
        (1, "1 file could not be backed up; it will", "1 arquivo; ele será"),
        (2, "2 files could not be backed up; they will", "2 arquivos; eles serão"),
    ],
)
def test_a_count_of_failed_files_agrees_with_its_noun(count, english, portuguese):
    entry = {"code": "files_failed", "params": {"count": count}}
    assert english in run_errors.english_message("files_failed", count=count)
    with translation.override("pt-br"):
        assert portuguese in run_errors.describe(entry)


def test_a_count_of_more_problems_agrees_with_its_noun():
    one = {"code": "more_errors", "params": {"count": 1}}
    assert run_errors.english_message("more_errors", count=1).startswith("1 more file had a")
    with translation.override("pt-br"):
        assert run_errors.describe(one).startswith("Mais 1 arquivo teve um problema")


def test_every_label_of_a_choice_the_panel_shows_is_in_the_catalog(po_entries):
    """States, triggers and statuses appear in tables: a new one must not stay English."""
    from django.apps import apps

    msgids = {entry["msgid"] for entry in po_entries[1:]}
    ours = {"accounts", "documents", "integrations"}
    missing = sorted(
        f"{model.__name__}.{field.name}: {label}"
        for model in apps.get_models()
        if model._meta.app_label in ours
        for field in model._meta.get_fields()
        if getattr(field, "choices", None) and getattr(field, "name", "") != "language"
        for _value, label in field.choices
        if english(label) not in msgids
    )
    assert missing == []


def english(text) -> str:
    """The msgid of a (lazy) translatable text: English is the source language."""
    with translation.override("en"):
        return str(text)
