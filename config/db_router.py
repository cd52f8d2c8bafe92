"""Database router: dashboard and report reads to the read replica, everything else to the primary.

A read goes to DATABASES["replica"] only when all of these hold (docs/operations.md, "Read replica"):

* a replica is configured (DATABASE_REPLICA_URL; without it this router changes nothing);
* the code asked for it: the read runs inside core.replica.reporting_reads();
* the block has written nothing yet (a write, or a read for update, pins it to the primary);
* the primary's connection of this thread is not inside transaction.atomic: a read in a transaction may
  be followed by a write that depends on it, and must see the transaction's own rows.

Writes always go to the primary, also when saving an object that was read from the replica. Reads that
Django makes "for write" (select_for_update, get_or_create, update_or_create) ask db_for_write, so they
go to the primary too. Migrations run on the primary only; a hot standby replays them from its WAL.
"""

from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

from core.replica import note_write, replica_eligible

REPLICA = "replica"


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


class ReplicaRouter:
    def db_for_read(self, model: type, **hints: Any) -> str | None:
        if not replica_configured():
            return None
        if replica_eligible() and not connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return REPLICA
        # Explicitly the primary: an object read from the replica must not pull its relations from there
        # once the reporting block has ended (Django would otherwise follow the instance's own database).
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model: type, **hints: Any) -> str | None:
        note_write()
        return DEFAULT_DB_ALIAS if replica_configured() else None

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        ours = {DEFAULT_DB_ALIAS, REPLICA}
        if obj1._state.db in ours and obj2._state.db in ours:
            return True  # one database, two connections
        return None

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool:
        return db == DEFAULT_DB_ALIAS
