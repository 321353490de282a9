"""Every catalog (pt-BR, pl) is complete, compiled and up to date with the code; the language
switch works."""

from __future__ import annotations

import gettext
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from fontTools.ttLib import TTFont

from integrations import run_errors
from tests.factories import make_merchant, make_order

LOCALE = Path(settings.BASE_DIR) / "locale"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w+\}|</?\w+[^>]*>")


@dataclass(frozen=True)
class Catalog:
    locale: str  # the folder under locale/
    plural_forms: str
    # One count per plural form, in the form's order: what the .mo is asked for each form.
    counts: tuple[int, ...]


CATALOGS = [
    Catalog("pt_BR", "nplurals=2; plural=(n > 1);", counts=(1, 2)),
    # gettext's three Polish forms: 1 plik; 2-4, 22-24... pliki; 0, 5-21, 25... plików.
    Catalog(
        "pl",
        "nplurals=3; plural=(n==1 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);",
        counts=(1, 2, 5),
    ),
]


def read_po(locale: str) -> polib.POFile:
    return polib.pofile(str(LOCALE / locale / "LC_MESSAGES" / "django.po"))


def messages(po: polib.POFile) -> list[polib.POEntry]:
    return [entry for entry in po if not entry.obsolete]


@pytest.fixture(params=CATALOGS, ids=lambda catalog: catalog.locale)
def catalog(request) -> Catalog:
    return request.param


@pytest.fixture
def po(catalog) -> polib.POFile:
    return read_po(catalog.locale)


def test_header_names_the_language_and_its_plural_rule(po, catalog):
    assert po.metadata["Language"] == catalog.locale
    assert po.metadata["Plural-Forms"] == catalog.plural_forms
    assert not po.metadata_is_fuzzy


def test_every_message_is_translated_and_none_is_fuzzy(po, catalog):
    assert len(messages(po)) > 300
    assert [e.msgid for e in messages(po) if e.fuzzy] == []
    untranslated = [
        e.msgid
        for e in messages(po)
        if not (all(e.msgstr_plural.values()) if e.msgid_plural else e.msgstr)
    ]
    assert untranslated == []
    forms = set(range(len(catalog.counts)))
    plural_without_every_form = [
        e.msgid for e in messages(po) if e.msgid_plural and set(e.msgstr_plural) != forms
    ]
    assert plural_without_every_form == []


def test_catalogs_hold_the_same_messages():
    msgids = {
        c.locale: {(e.msgid, e.msgid_plural) for e in messages(read_po(c.locale))} for c in CATALOGS
    }
    first, *others = CATALOGS
    for other in others:
        assert msgids[other.locale] == msgids[first.locale], other.locale


def test_catalogs_hold_every_message_of_the_code(tmp_path):
    """What `makemessages` finds today is in every catalog, and nothing it no longer finds.

    It runs on a copy of the project, so the committed catalogs stay as they are.
    """
    copy = tmp_path / "project"
    shutil.copytree(
        settings.BASE_DIR,
        copy,
        ignore=shutil.ignore_patterns(".*", "__pycache__", "var", "staticfiles", "test-artifacts"),
    )
    command = [sys.executable, "manage.py", "makemessages", "--no-location", "--keep-pot"]
    command += [arg for c in CATALOGS for arg in ("-l", c.locale)]
    subprocess.run(command, cwd=copy, check=True, capture_output=True)

    in_code = {(e.msgid, e.msgid_plural) for e in polib.pofile(str(copy / "locale" / "django.pot"))}
    in_code.discard(("", ""))
    for c in CATALOGS:
        committed = {(e.msgid, e.msgid_plural) for e in messages(read_po(c.locale))}
        assert sorted(in_code - committed) == [], f"{c.locale}: run makemessages and translate"
        assert sorted(committed - in_code) == [], f"{c.locale}: run makemessages (stale entries)"


def test_translations_keep_placeholders_and_html(po):
    wrong = []
    for entry in messages(po):
        source = sorted(PLACEHOLDER.findall(entry.msgid))
        if entry.msgid_plural:
            allowed = set(source) | set(PLACEHOLDER.findall(entry.msgid_plural))
            forms = [
                set(PLACEHOLDER.findall(form)) for _n, form in sorted(entry.msgstr_plural.items())
            ]
            # The "one" form may leave the count out ("The last backup"); the others need all.
            if forms[-1] != allowed or not all(form <= allowed for form in forms):
                wrong.append(entry.msgid)
        elif sorted(PLACEHOLDER.findall(entry.msgstr)) != source:
            wrong.append(entry.msgid)
    assert wrong == []


def test_compiled_catalog_matches_the_po_file(po, catalog):
    """The committed .mo was compiled from the committed .po (a fresh machine needs no msgfmt)."""
    with (LOCALE / catalog.locale / "LC_MESSAGES" / "django.mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    stale = []
    for entry in messages(po):
        if entry.msgid_plural:
            for form, n in enumerate(catalog.counts):
                got = compiled.ngettext(entry.msgid, entry.msgid_plural, n)
                if got != entry.msgstr_plural[form]:
                    stale.append(entry.msgid)
        elif compiled.gettext(entry.msgid) != entry.msgstr:
            stale.append(entry.msgid)
    assert stale == []


@pytest.mark.parametrize("face", ["Regular", "Bold"])
def test_the_print_fonts_draw_every_character_of_the_catalogs(face):
    """Prints and their PDFs use only the bundled fonts: a letter they lack (ą, ł, ã...) would
    come out as a blank box in Drive."""
    font = Path(settings.BASE_DIR) / "documents" / "fonts" / f"PrintSans-{face}.ttf"
    cmap = TTFont(font).getBestCmap()
    for c in CATALOGS:
        texts = [
            text
            for e in messages(read_po(c.locale))
            for text in (e.msgstr_plural.values() if e.msgid_plural else [e.msgstr])
        ]
        missing = {char for text in texts for char in text if ord(char) not in cmap}
        assert sorted(missing - set("\n")) == [], c.locale


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


def test_every_label_of_a_choice_the_panel_shows_is_in_the_catalog(po):
    """States, triggers and statuses appear in tables: a new one must not stay English."""
    from django.apps import apps

    msgids = {entry.msgid for entry in messages(po)}
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
