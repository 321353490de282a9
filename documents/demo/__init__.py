"""Deterministic demo data: merchants with orders, invoices and receipts.

``seed()`` is what ``manage.py seed_demo``, the tests and the benchmarks call. The same
arguments (including ``seed`` and ``now``) always produce the same rows, uuids included; only
database ids, password salts and the ``created_at``/``updated_at`` stamps that Django sets on
insert differ between runs.

Shape of the data, relative to ``now``:

- each merchant has its own status list (New, Paid, Shipped, Delivered, Cancelled, in its
  language); ``status_changed_at`` spreads over the last ``status_days`` days, and exactly
  ``orders_in_window`` orders changed status within the last 30 days (the backup's window);
- invoices and receipts spread over this month and the ``months`` previous months, with
  ``invoices_this_month``/``receipts_this_month`` of them issued this month (up to today);
  numbers run per month in issue order: ``FV 12/11/2026``, ``PAR 5/11/2026``;
- ``api_invoices`` of this month's invoices came in through the API with a small real PDF;
  ``external_invoices`` more, issued by an external accounting system, sit in earlier months.

Rows are written with ``bulk_create`` in batches inside one transaction, so 100,000 orders
with their items take seconds, not minutes.
"""

from documents.demo.rows import minimal_pdf
from documents.demo.seed import DEFAULT_SEED, DEMO_EMAIL, DEMO_PASSWORD, merchant_email, seed

__all__ = ["DEFAULT_SEED", "DEMO_EMAIL", "DEMO_PASSWORD", "merchant_email", "minimal_pdf", "seed"]
