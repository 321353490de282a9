"""Fill the database with deterministic demo merchants, orders, invoices and receipts."""

from __future__ import annotations

import time
from datetime import datetime

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from accounts.models import Merchant, User
from documents import demo


def aware_datetime(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


class Command(BaseCommand):
    help = (
        "Create demo merchants with orders, invoices and receipts. The first merchant's login "
        f"is {demo.DEMO_EMAIL} / {demo.DEMO_PASSWORD}; others are "
        "merchant2@example.com, merchant3@example.com... with the same password. "
        "Counts are per merchant; the same --seed and --now give the same data."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--merchants", type=int, default=3)
        parser.add_argument("--orders", type=int, default=300)
        parser.add_argument(
            "--invoices",
            type=int,
            default=60,
            help="Invoices kept by the platform (panel and API) per merchant.",
        )
        parser.add_argument("--receipts", type=int, default=30)
        parser.add_argument(
            "--months",
            type=int,
            default=3,
            help="Months of document history before the current one.",
        )
        parser.add_argument("--invoices-this-month", type=int, default=None)
        parser.add_argument("--receipts-this-month", type=int, default=None)
        parser.add_argument(
            "--orders-in-window",
            type=int,
            default=None,
            help="Orders whose status changed in the last 30 days.",
        )
        parser.add_argument("--api-invoices", type=int, default=3)
        parser.add_argument("--external-invoices", type=int, default=3)
        parser.add_argument("--seed", type=int, default=demo.DEFAULT_SEED)
        parser.add_argument(
            "--now",
            type=aware_datetime,
            default=None,
            help="ISO date-time the data is relative to (default: now).",
        )
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when any merchant exists."
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete the demo merchants (by their e-mails) first.",
        )

    def handle(self, *args, **options) -> None:
        if options["if_empty"] and Merchant.objects.exists():
            self.stdout.write("Merchants exist already; nothing seeded.")
            return
        emails = [demo.merchant_email(i) for i in range(options["merchants"])]
        with transaction.atomic():
            if options["reset"]:
                deleted = self._delete_demo_merchants(emails)
                self.stdout.write(f"Deleted {deleted} demo merchant(s).")
            taken = list(User.objects.filter(email__in=emails).values_list("email", flat=True))
            if taken:
                raise CommandError(
                    f"Demo users exist already ({', '.join(sorted(taken))}); "
                    "use --reset to replace them or --if-empty to skip."
                )
            started = time.perf_counter()
            merchants = demo.seed(
                merchants=options["merchants"],
                orders=options["orders"],
                invoices=options["invoices"],
                receipts=options["receipts"],
                months=options["months"],
                invoices_this_month=options["invoices_this_month"],
                receipts_this_month=options["receipts_this_month"],
                orders_in_window=options["orders_in_window"],
                api_invoices=options["api_invoices"],
                external_invoices=options["external_invoices"],
                external_accounting_merchants=(2,) if options["merchants"] > 2 else (),
                seed=options["seed"],
                now=options["now"],
            )
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {len(merchants)} merchant(s) in {elapsed:.1f} s: "
                f"{options['orders']} orders, {options['invoices']} invoices "
                f"(+{options['external_invoices']} external), {options['receipts']} receipts each."
            )
        )
        self.stdout.write(f"Log in as {demo.DEMO_EMAIL} / {demo.DEMO_PASSWORD}")

    def _delete_demo_merchants(self, emails: list[str]) -> int:
        ids = set(User.objects.filter(email__in=emails).values_list("merchant_id", flat=True))
        ids.discard(None)
        count, _ = Merchant.objects.filter(pk__in=ids).delete()
        return len(ids) if count else 0
