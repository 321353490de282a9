from __future__ import annotations

from decimal import Decimal

from django.utils import translation

from documents.models import InvoiceItem
from documents.printing import (
    format_money,
    format_quantity,
    invoice_vat_summary,
    render_print_html,
)


def test_money_has_two_decimals_and_the_currency_code():
    with translation.override("en"):
        assert format_money(Decimal("1234.5"), "PLN") == "1,234.50 PLN"
        assert format_money(Decimal("0"), "EUR") == "0.00 EUR"
    with translation.override("pt-br"):
        assert format_money(Decimal("1234.5"), "BRL") == "1.234,50 BRL"


def test_quantities_lose_trailing_zeros():
    with translation.override("en"):
        assert format_quantity(Decimal("2.000")) == "2"
        assert format_quantity(Decimal("1.500")) == "1.5"
        assert format_quantity(Decimal("10")) == "10"


def test_vat_summary_per_rate_highest_first():
    items = [
        InvoiceItem(vat_rate=Decimal("8"), total_net=Decimal("100"), total_gross=Decimal("108")),
        InvoiceItem(vat_rate=Decimal("23"), total_net=Decimal("10"), total_gross=Decimal("12.30")),
        InvoiceItem(vat_rate=Decimal("8"), total_net=Decimal("50"), total_gross=Decimal("54")),
    ]
    summary = invoice_vat_summary(items)

    assert [line.rate for line in summary] == [Decimal("23"), Decimal("8")]
    assert (summary[1].net, summary[1].vat, summary[1].gross) == (
        Decimal("150"),
        Decimal("12"),
        Decimal("162"),
    )


def test_pdf_html_has_no_browser_parts_and_the_page_footer(invoice):
    html = render_print_html(invoice, for_pdf=True)
    assert "<style>" not in html
    assert "window.print()" not in html
    assert 'class="page-footer"' in html


def test_browser_html_has_its_stylesheet_and_no_page_footer(invoice):
    html = render_print_html(invoice, for_pdf=False, extra={"pdf_url": "/x.pdf"})
    assert "<style>" in html
    assert 'href="/x.pdf"' in html
    assert 'class="page-footer"' not in html


def test_browser_html_names_the_sites_icon_so_no_favicon_ico_is_asked_for(invoice):
    html = render_print_html(invoice, for_pdf=False)
    assert '<link rel="icon" href="/static/img/logo.svg" type="image/svg+xml">' in html


def test_pdf_html_has_no_icon_link(invoice):
    # The PDF stays as it was: WeasyPrint has nothing to do with a browser tab's icon.
    assert 'rel="icon"' not in render_print_html(invoice, for_pdf=True)


def test_print_language_follows_the_active_language(invoice):
    with translation.override("pt-br"):
        html = render_print_html(invoice, for_pdf=True)
    assert '<html lang="pt-br">' in html
    assert (
        f"{invoice.total_gross:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".") in html
    )
