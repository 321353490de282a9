"""Drive file ids reserved ahead of time, kept per integration and Google account.

Every file and folder a run creates carries an id reserved through files.generateIds, so a
create that lands twice answers 409 instead of making a second copy (DESIGN §2). Asking for
ids every night would cost a request per run; instead a run takes ids from the pool of its
(integration, Google account), oldest first, and only a dry pool makes it call generateIds —
for at least settings.BACKUP_ID_POOL_SIZE ids, the rest staying for later nights.

An id leaves the pool in the same transaction as the row that holds it (a ledger row, a
folder cache row): either the row has the id and the pool has not, or the other way round,
so no id can ever be given to two files.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from integrations.google.client import GENERATE_IDS_MAX, DriveClient
from integrations.models import GoogleDriveIntegration, ReservedDriveId

logger = logging.getLogger(__name__)

T = TypeVar("T")


class DriveIdPool:
    """The reserved ids one run takes from; refilled through generateIds when dry."""

    def __init__(
        self, client: DriveClient, integration: GoogleDriveIntegration, account_id: str
    ) -> None:
        self.client = client
        self.integration = integration
        self.account_id = account_id
        self.still_needed = 0
        self._queue: deque[str] | None = None
        # Ids generated during this run: if Drive refuses one of these, a fresh pool would not
        # help, so the refusal is not answered by another refill.
        self._fresh: set[str] = set()

    def expect(self, count: int) -> None:
        """This run will probably need `count` more ids (sizes a refill)."""
        self.still_needed = max(0, count)

    def take(self, record: Callable[[str], T]) -> T:
        """The oldest reserved id, handed to `record` in the transaction that uses it up.

        `record` writes the row that holds the id; if it fails, the id stays in the pool.
        """
        while True:
            drive_id = self._next()
            with transaction.atomic():
                # Claimed by deleting it: a worker that lost its lock may still be taking ids.
                if ReservedDriveId.objects.filter(drive_id=drive_id).delete()[0]:
                    result = record(drive_id)
                    self.still_needed = max(0, self.still_needed - 1)
                    return result

    def refused(self, drive_id: str) -> bool:
        """Drive refused `drive_id` as unusable. True: the pool was dropped, take another id.

        Ids of an older pool may have lapsed (Google documents no expiry, but does not promise
        none either); one refused id condemns the whole pool of the account. A refused id of
        this run's own refill is not answered by another refill.
        """
        if drive_id in self._fresh:
            return False
        dropped, _ = self._pool().delete()
        logger.warning(
            "Drive refused reserved id %s of integration %s; dropped %d pooled ids",
            drive_id,
            self.integration.pk,
            dropped,
        )
        self._queue = deque()
        return True

    # --- the pool -----------------------------------------------------------------------

    def _next(self) -> str:
        if self._queue is None:
            self._queue = self._load()
        if not self._queue:
            self._refill()
        return self._queue.popleft()

    def _pool(self):
        return ReservedDriveId.objects.filter(
            integration=self.integration, google_account_id=self.account_id
        )

    def _load(self) -> deque[str]:
        """This account's usable ids, oldest first, after discarding what may not be used."""
        cutoff = timezone.now() - timedelta(days=settings.BACKUP_ID_POOL_MAX_AGE_DAYS)
        # Another account's ids are never used here (the merchant switched accounts), and an
        # old pool is not trusted. Read in one query; a DELETE only when there is something
        # to throw away (most nights there is not).
        rows = ReservedDriveId.objects.filter(integration=self.integration).order_by(
            "created_at", "pk"
        )
        usable: deque[str] = deque()
        unusable: list[int] = []
        for pk, drive_id, account, created in rows.values_list(
            "pk", "drive_id", "google_account_id", "created_at"
        ):
            if account == self.account_id and created >= cutoff:
                usable.append(drive_id)
            else:
                unusable.append(pk)
        if unusable:
            ReservedDriveId.objects.filter(pk__in=unusable).delete()
        return usable

    def _refill(self) -> None:
        wanted = min(max(self.still_needed, settings.BACKUP_ID_POOL_SIZE, 1), GENERATE_IDS_MAX)
        ids = self.client.generate_ids(wanted)
        ReservedDriveId.objects.bulk_create(
            ReservedDriveId(
                integration=self.integration, google_account_id=self.account_id, drive_id=i
            )
            for i in ids
        )
        self._fresh.update(ids)
        assert self._queue is not None
        self._queue.extend(ids)
