"""The site's own 404 and 500 pages: in the panel's style, in the viewer's language, with a
way back to the panel (Django's bare "Not Found" page had none)."""

from __future__ import annotations

import pytest
from django.template.loader import get_template
from django.test import RequestFactory
from django.utils import translation
from django.views.defaults import server_error

pytestmark = pytest.mark.django_db


def test_an_unknown_address_gets_the_sites_404_page(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    html = response.content.decode()
    assert "<h1>Page not found</h1>" in html
    assert 'href="/static/css/panel.css"' in html
    assert '<a class="btn btn-primary" href="/">Back to the panel</a>' in html


def test_the_404_page_speaks_the_viewers_language(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "pt-br"

    html = client.get("/no-such-page/").content.decode()

    assert "<h1>Página não encontrada</h1>" in html
    assert ">Voltar ao painel</a>" in html


def test_the_500_page_is_the_sites_own_and_links_back():
    response = server_error(RequestFactory().get("/orders/"))

    assert response.status_code == 500
    html = response.content.decode()
    assert "<h1>Something went wrong on our side</h1>" in html
    assert 'href="/static/css/panel.css"' in html
    assert '<a class="btn btn-primary" href="/">Back to the panel</a>' in html


def test_the_500_page_needs_no_request_and_speaks_the_active_language():
    # Django renders it without a request, so without context processors that could fail.
    with translation.override("pt-br"):
        html = get_template("500.html").render()

    assert '<html lang="pt-br">' in html
    assert "<h1>Algo deu errado do nosso lado</h1>" in html
    assert ">Voltar ao painel</a>" in html
