"""``python -m bench``: a platform's night measured against its two limits (``make bench``).

Builds its own data set (the seed_demo generator) in its own database, runs against a
fake_google subprocess (20 ms per request, 3 writes/s per account) and two Celery worker
processes, prints one table and writes the same figures as JSON.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench import harness
from bench.harness import timed_step

SECTIONS = ("pdf", "csv", "night", "scale")


@dataclass(frozen=True)
class Options:
    merchants: int
    csv_orders: tuple[int, ...]
    pdf_docs: int
    pdf_repeat: int
    pdf_fonttools_docs: int
    pdf_large_items: tuple[int, ...]
    csv_repeat: int
    workers: int
    pool: harness.PoolChoice
    json_out: Path
    quick: bool
    sections: frozenset[str]
    scale_merchants: tuple[int, ...]


def parse_args(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--merchants", type=int, default=None, help="default 100 (--quick: 10)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="for development: 10 merchants, 10,000 orders only, fewer PDF repeats",
    )
    parser.add_argument("--json-out", type=Path, default=None)
    parser.add_argument(
        "--csv-orders",
        default=None,
        help="comma-separated order counts (default 10000,100000; --quick: 10000)",
    )
    parser.add_argument("--pdf-docs", type=int, default=None, help="default 60 (--quick: 40)")
    parser.add_argument(
        "--pdf-fonttools-docs",
        type=int,
        default=None,
        help="documents for the figure without HarfBuzz-Subset; 0 skips it "
        "(default 20; --quick: 0)",
    )
    parser.add_argument(
        "--pdf-large-items",
        default=None,
        help="comma-separated item counts of the large invoices measured per page "
        "(default 10,100,1000,5000; --quick: 10,100,1000)",
    )
    parser.add_argument(
        "--only",
        default=",".join(SECTIONS),
        help="comma-separated sections to run: pdf, csv, night, scale (default: all)",
    )
    parser.add_argument(
        "--scale-merchants",
        default=None,
        help="comma-separated merchant counts of the scale section's regular nights "
        "(default 100,1000; --quick: 10)",
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pool", default=None, help="default: the Procfile's, else threads")
    parser.add_argument("--concurrency", type=int, default=None)
    args = parser.parse_args(argv)

    pool = harness.procfile_pool()
    if args.pool or args.concurrency:
        pool = harness.PoolChoice(
            args.pool or pool.pool, args.concurrency or pool.concurrency, "command line"
        )
    csv_default = "10000" if args.quick else "10000,100000"
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return Options(
        merchants=args.merchants or (10 if args.quick else 100),
        csv_orders=tuple(int(n) for n in (args.csv_orders or csv_default).split(",") if n),
        pdf_docs=args.pdf_docs or (40 if args.quick else 60),
        pdf_repeat=1 if args.quick else 5,
        pdf_fonttools_docs=(
            args.pdf_fonttools_docs
            if args.pdf_fonttools_docs is not None
            else (0 if args.quick else 20)
        ),
        pdf_large_items=tuple(
            int(n) for n in (args.pdf_large_items or _items_default(args.quick)).split(",") if n
        ),
        csv_repeat=1 if args.quick else 2,
        workers=args.workers,
        pool=pool,
        json_out=args.json_out or harness.DEFAULT_RESULTS_DIR / f"{stamp}.json",
        quick=args.quick,
        sections=frozenset(part for part in args.only.split(",") if part in SECTIONS),
        scale_merchants=tuple(int(n) for n in scale_default(args).split(",") if n),
    )


# Item counts of the large invoices (bench.pdf_large, which needs Django set up first).
PDF_LARGE_ITEMS = "10,100,1000,5000"
PDF_LARGE_ITEMS_QUICK = "10,100,1000"


def _items_default(quick: bool) -> str:
    return PDF_LARGE_ITEMS_QUICK if quick else PDF_LARGE_ITEMS


# Without a night (or the scale section's nights), nothing talks to Google: no fake_google.
NO_FAKE_GOOGLE = "http://127.0.0.1:9"


def scale_default(args: argparse.Namespace) -> str:
    return args.scale_merchants or ("10" if args.quick else "100,1000")


@harness.one_at_a_time(harness.REDIS_URL, harness.BENCH_DB_NAME)
def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    started = time.perf_counter()
    children: list[harness.Child] = []
    try:
        database_url = timed_step("fresh database", harness.fresh_database_url)
        fake, fake_url = None, NO_FAKE_GOOGLE
        if options.sections & {"night", "scale"}:
            harness.flush_redis()
            fake, fake_url = harness.start_fake_google()
            children.append(fake)
        harness.prepare_environment(database_url, fake_url)
        import django

        django.setup()
        payload = run_sections(options, fake, fake_url, children)
    finally:
        harness.stop_all(list(reversed(children)))
    payload["bench_seconds"] = time.perf_counter() - started
    print_results(payload, options.json_out)
    return 0


def run_sections(
    options: Options, fake: harness.Child | None, fake_url: str, children: list[harness.Child]
) -> dict[str, Any]:
    # Django is set up only now: these import models.
    from django.utils import timezone

    from bench import dataset, figures, night, pdf_large, scale
    from bench.night import FakeGoogleControl

    machine = harness.machine_info()
    now = timezone.now()
    timed_step("migrate", dataset.migrate)
    merchants = []
    if options.sections & {"pdf", "night"}:
        merchants = timed_step(
            f"seed {options.merchants} merchants",
            lambda: dataset.seed_night_merchants(options.merchants, dataset.NightSizes(), now),
        )
    results: dict[str, Any] = {}
    if "pdf" in options.sections:
        docs = dataset.documents_for_pdf(merchants, options.pdf_docs)
        results["pdf"] = timed_step(
            f"1. PDF, {len(docs)} documents",
            lambda: figures.pdf_figures(docs, options.pdf_repeat),
        )
        if options.pdf_fonttools_docs:
            few = docs[: options.pdf_fonttools_docs]
            results["pdf_fonttools"] = timed_step(
                f"1. PDF without HarfBuzz-Subset, {len(few)} documents",
                lambda: figures.pdf_figures(few, options.pdf_repeat, fonttools_subsetting=True),
            )
        if options.pdf_large_items:
            results["pdf_large"] = timed_step(
                f"1b. PDF of invoices of {', '.join(map(str, options.pdf_large_items))} items",
                lambda: pdf_large.pdf_large_figures(
                    merchants[0], options.pdf_large_items, options.pdf_repeat
                ),
            )
    if "csv" in options.sections:
        csv_merchants = {
            orders: timed_step(
                f"seed {orders:,} orders",
                lambda o=orders, i=index: (
                    dataset.seed_csv_merchant(options.merchants + i, o, now).pk
                ),
            )
            for index, orders in enumerate(options.csv_orders)
        }
        results["csv"] = timed_step(
            "2. orders CSV", lambda: figures.csv_figures(csv_merchants, options.csv_repeat)
        )
    if "night" in options.sections and fake is not None:
        control = FakeGoogleControl(fake_url)
        # Connecting is set-up, not the night: no latency for it.
        control.configure(latency_ms=0)
        integrations = timed_step(
            "connect a Google account each", lambda: dataset.connect_all(merchants)
        )
        timed_step("analyze the database", scale.analyze_database)
        workers = night.start_night_workers(fake_url, options.workers, options.pool, children)
        night_figures = timed_step(
            f"3-4. night of {options.merchants} merchants, {options.workers} workers "
            f"{options.pool.describe()}",
            lambda: night.run_night(integrations, fake, fake_url, workers, options.pool),
        )
        results["night"] = night_figures
        results["projection"] = {
            **night.projection(night_figures),
            "basis": f"the first night of {options.merchants} merchants",
        }
        next_day = dataset.NextDaySizes()
        timed_step(
            "issue the next day's documents",
            lambda: dataset.issue_next_day_documents(merchants, next_day),
        )
        results["next_night"] = timed_step(
            "3. the next night",
            lambda: night.run_night(
                integrations,
                fake,
                fake_url,
                workers,
                options.pool,
                moment=night.night_moment() + dt.timedelta(days=1),
            ),
        )
        # The scale section starts workers of its own on the same broker: left running,
        # these took part of its runs unseen (their CPU counted as other users').
        for worker in workers:
            worker.stop()
    if "scale" in options.sections and fake is not None:
        stage = scale.Stage(fake, fake_url, options.pool, options.workers, children)
        results["scale"] = scale.scale_figures(options.scale_merchants, stage)
        # Measured per-merchant costs of the largest night replace the first night's.
        measured = results["scale"]
        results["projection"] = {
            **night.projection(measured),
            "basis": f"scale: a regular night of {measured['merchants']} merchants",
            # The same night for 10,000 at the measured pace, on this machine as it was and
            # had nobody else used it.
            "wall_s_at_measured_pace": night.PROJECTION_MERCHANTS
            * measured["per_merchant"]["wall_s"],
            "dedicated_wall_s_at_measured_pace": night.PROJECTION_MERCHANTS
            * measured["dedicated_machine_estimate"]["wall_s"]
            / max(1, measured["merchants"]),
        }
    return {
        "schema": 3,
        "measured_at": now.isoformat(),
        "options": {
            "merchants": options.merchants,
            "csv_orders": options.csv_orders,
            "pdf_docs": options.pdf_docs,
            "pdf_repeat": options.pdf_repeat,
            "pdf_fonttools_docs": options.pdf_fonttools_docs,
            "pdf_large_items": options.pdf_large_items,
            "csv_repeat": options.csv_repeat,
            "workers": options.workers,
            "pool": options.pool.pool,
            "concurrency": options.pool.concurrency,
            "pool_source": options.pool.source,
            "quick": options.quick,
            "sections": sorted(options.sections),
            "scale_merchants": options.scale_merchants,
            "scale_day_sizes": asdict(scale.DaySizes()),
            "night_sizes": dataset.NightSizes().seed_arguments(),
            "next_day_sizes": asdict(dataset.NextDaySizes()),
            "database": "postgresql" if database_is_postgres() else "sqlite",
            "fake_google": {"latency_ms": harness.FAKE_LATENCY_MS, "write_limit": True},
        },
        "machine": machine,
        "figures": results,
    }


def database_is_postgres() -> bool:
    from django.db import connection

    return connection.vendor == "postgresql"


def print_results(payload: dict[str, Any], json_out: Path) -> None:
    from bench import report

    rows = report.build_rows(payload["figures"])
    payload["table"] = report.rows_as_dicts(rows)
    report.write_json(json_out, payload)
    print()
    print(report.format_table(rows))
    print()
    for line in report.context_lines(payload["figures"], payload["machine"]):
        print(line)
    print(f"Bench took {payload['bench_seconds']:.0f} s; figures written to {json_out}")


if __name__ == "__main__":
    sys.exit(main())
