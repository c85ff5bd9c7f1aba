"""The PostgreSQL store's tables, server functions and migrations, as SQL.

Each ledger is a PostgreSQL schema. This module holds the statements that make
one (:func:`_schema_statements`: version 1), the functions its writers call
(:data:`_SERVER_FUNCTIONS`) and the steps that bring a ledger from one
version to the next (:data:`MIGRATIONS`, up to :data:`SCHEMA_VERSION`). It
is text only: the store (:mod:`~favorledger.io.postgres.store`) runs it,
``check`` (:mod:`~favorledger.io.postgres.check`) compares a ledger with it.
``{schema}`` in a statement stands for the ledger's quoted schema, ``{name}``
for its name.

Examples
--------
>>> statements = _schema_statements('"club"')
>>> statements[1].split("(")[0]
'CREATE TABLE "club".entries '
>>> sorted(MIGRATIONS) == list(range(2, SCHEMA_VERSION + 1))
True
"""

from __future__ import annotations

from typing import Final

SCHEMA_VERSION: Final = 7
"""The version of a ledger's tables this library writes and reads (2 adds the
one-round-trip append, ``favorledger_add``; 3 the group append: the
``inbox`` and ``seals`` tables, ``favorledger_seal_inbox`` and
``favorledger_group_add``; 4 ``favorledger_hand_in``; 5 drops the index
``entries_type_at``, which no query of favorledger's reads; 6 seals on
insert: the ``chain`` and ``pending`` tables, ``favorledger_seal``,
``favorledger_catch_up`` and a new ``favorledger_hand_in``; entries carry no
digest and have no insert trigger; 7 seals in rounds: the ``rounds`` table,
one row per sealing round, replaces ``chain``)."""

SEALED_ON_INSERT: Final = 6
"""The first version whose chain is kept apart from ``entries``, in sealing
order (version 6: the ``chain`` table, a row per entry)."""

SEALED_IN_ROUNDS: Final = 7
"""The first version whose chain is the ``rounds`` table, a row per sealing
round."""

ROUND_MAX: Final = 5000
"""The most entries one ``rounds`` row holds (a longer round is split)."""

_LOCK_CLASS: Final = int.from_bytes(b"FvLg", "big")
"""The first key of the ledger's advisory lock (the second: its name's hash)."""


# ------------------------------------------------- version 1: tables, triggers
_REFUSE: Final = """BEGIN
    RAISE EXCEPTION 'favorledger % is append-only: % refused',
        TG_TABLE_NAME, TG_OP USING ERRCODE = 'restrict_violation';
END;"""

_APPEND: Final = """DECLARE
    last_seq bigint;
    last_digest text;
BEGIN
    SELECT seq, digest INTO last_seq, last_digest
        FROM {schema}.entries ORDER BY seq DESC LIMIT 1;
    IF NEW.seq IS DISTINCT FROM coalesce(last_seq, 0) + 1 THEN
        RAISE EXCEPTION 'favorledger entries are append-only: % is not the next seq',
            NEW.seq USING ERRCODE = 'restrict_violation';
    END IF;
    IF NEW.digest IS DISTINCT FROM encode(sha256(convert_to(
            coalesce(last_digest, repeat('0', 64)) || E'\\n' || NEW.body,
            'UTF8')), 'hex') THEN
        RAISE EXCEPTION 'favorledger entries are chained: the digest of entry %'
            ' does not follow from the entry before', NEW.seq
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END;"""

_TABLES: Final = (
    """CREATE TABLE {schema}.favorledger_schema (
        version integer PRIMARY KEY,
        created_at timestamptz NOT NULL
    )""",
    """CREATE TABLE {schema}.entries (
        seq bigint PRIMARY KEY,
        id text NOT NULL,
        type text NOT NULL CHECK (length(type) > 0),
        at text NOT NULL,
        body text NOT NULL,
        digest text NOT NULL CHECK (digest ~ '^[0-9a-f]{{64}}$')
    )""",
    "CREATE UNIQUE INDEX entries_entry_id ON {schema}.entries (id)"
    " WHERE type <> 'person'",
    "CREATE UNIQUE INDEX entries_person_statement ON {schema}.entries (id, at)"
    " WHERE type = 'person'",
    "CREATE INDEX entries_type_at ON {schema}.entries (type, at)",  # to version 4
)
"""Version 1's tables and indexes (``entries_type_at``, which no query of
favorledger's reads, is dropped again by version 5)."""

_FUNCTIONS: Final = {"favorledger_refuse": _REFUSE, "favorledger_append": _APPEND}

_TRIGGERS: Final = {
    # name: (table, timing and events, level, function)
    "entries_append": ("entries", "BEFORE INSERT", "ROW", "favorledger_append"),
    "entries_no_update": ("entries", "BEFORE UPDATE", "ROW", "favorledger_refuse"),
    "entries_no_delete": ("entries", "BEFORE DELETE", "ROW", "favorledger_refuse"),
    "entries_no_truncate": (
        "entries",
        "BEFORE TRUNCATE",
        "STATEMENT",
        "favorledger_refuse",
    ),
    "schema_no_update": (
        "favorledger_schema",
        "BEFORE UPDATE OR DELETE",
        "ROW",
        "favorledger_refuse",
    ),
    "schema_no_truncate": (
        "favorledger_schema",
        "BEFORE TRUNCATE",
        "STATEMENT",
        "favorledger_refuse",
    ),
}


def _schema_statements(schema: str) -> list[str]:
    """The statements that make a new ledger in ``schema`` (quoted)."""
    statements = [sql.format(schema=schema) for sql in _TABLES]
    for name, body in _FUNCTIONS.items():
        statements.append(
            f"CREATE FUNCTION {schema}.{name}() RETURNS trigger LANGUAGE plpgsql"
            f" AS $fl${body.format(schema=schema)}$fl$"
        )
    for name, (table, events, level, function) in _TRIGGERS.items():
        statements.append(
            f"CREATE TRIGGER {name} {events} ON {schema}.{table}"
            f" FOR EACH {level} EXECUTE FUNCTION {schema}.{function}()"
        )
    return statements


# ----------------------------------------- the writers' functions (2 to 4)
_ADD: Final = f"""DECLARE
    last_seq bigint;
    last_digest text;
BEGIN
    PERFORM set_config('synchronous_commit', 'off', true);
    PERFORM pg_advisory_xact_lock({_LOCK_CLASS}, hashtext('{{name}}'));
    SELECT e.seq, e.digest INTO last_seq, last_digest
        FROM {{schema}}.entries e ORDER BY e.seq DESC LIMIT 1;
    INSERT INTO {{schema}}.entries VALUES (coalesce(last_seq, 0) + 1, new_id,
        new_type, new_at, new_body, encode(sha256(convert_to(
            coalesce(last_digest, repeat('0', 64)) || E'\\n' || new_body,
            'UTF8')), 'hex'));
    RETURN QUERY SELECT e.seq, e.id, e.type, e.at, e.body, e.digest
        FROM {{schema}}.entries e WHERE e.seq > after ORDER BY e.seq;
END;"""
"""The body of ``favorledger_add(after, id, type, at, body)``: append one
entry whose rules need no state but its id, in one statement. It takes the
ledger's lock, chains the entry to the head (the insert trigger checks it
again), makes its own commit asynchronous (the caller's flush barrier
follows), and returns every row after ``after`` up to and including the new
one, so the caller catches up in the same round trip."""

_ADD_SIGNATURE: Final = (
    "favorledger_add(after bigint, new_id text, new_type text, new_at text,"
    " new_body text) RETURNS TABLE (r_seq bigint, r_id text, r_type text,"
    " r_at text, r_body text, r_digest text)"
)

_LOCK: Final = f"{_LOCK_CLASS}, hashtext('{{name}}')"
"""The ledger's advisory lock's two keys, in SQL (``{name}`` still to fill)."""

_INBOX: Final = (
    """CREATE TABLE {schema}.inbox (
        n bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id text NOT NULL,
        type text NOT NULL CHECK (type = 'favor'),
        at text NOT NULL,
        body text NOT NULL
    )""",
    """CREATE TABLE {schema}.seals (
        upto bigint PRIMARY KEY,
        seq bigint NOT NULL
    )""",
)
"""Version 3's tables. ``inbox``: favors handed in by writers, not yet part
of the ledger (append-only, numbered in the order they were handed in).
``seals``: one row per sealing round, the highest inbox number it looked at
(``upto``) and the chain's last ``seq`` after it (append-only)."""

_SEAL_INBOX: Final = """DECLARE
    last_seq bigint;
    last_digest text;
    mark bigint;
    top bigint;
    before bigint;
    passes int := 0;
    r record;
BEGIN
    SELECT e.seq, e.digest INTO last_seq, last_digest
        FROM {schema}.entries e ORDER BY e.seq DESC LIMIT 1;
    last_seq := coalesce(last_seq, 0);
    last_digest := coalesce(last_digest, repeat('0', 64));
    SELECT s.upto INTO mark FROM {schema}.seals s ORDER BY s.upto DESC LIMIT 1;
    mark := coalesce(mark, 0);
    top := mark;
    LOOP
        before := top;
        FOR r IN SELECT i.n, i.id, i.type, i.at, i.body FROM {schema}.inbox i
                WHERE i.n >= least(before + 1, own) AND (i.n > before OR i.n = own)
                ORDER BY i.n LOOP
            top := greatest(top, r.n);
            CONTINUE WHEN EXISTS (SELECT 1 FROM {schema}.entries e
                WHERE e.id = r.id AND e.type <> 'person');
            last_seq := last_seq + 1;
            last_digest := encode(sha256(convert_to(
                last_digest || E'\\n' || r.body, 'UTF8')), 'hex');
            INSERT INTO {schema}.entries
                VALUES (last_seq, r.id, r.type, r.at, r.body, last_digest);
        END LOOP;
        own := top + 1;  -- sealed now: the next pass starts after it
        passes := passes + 1;
        EXIT WHEN top = before OR passes = 4;
    END LOOP;
    IF top > mark THEN
        INSERT INTO {schema}.seals VALUES (top, last_seq);
    END IF;
END;"""
"""``favorledger_seal_inbox(own)``, run by the holder of the ledger's lock:
chain every inbox favor handed in after the last sealing round, and the
caller's own (``own``: it may have been handed in late), into ``entries``,
in inbox order, skipping a favor whose id is already stored (a re-add, or a
clash its writer is told about); the insert trigger checks every link. It
looks again (up to four passes) for favors handed in while it worked, so
that writers already waiting for this round are sealed in it too."""

_FIND_MINE: Final = """SELECT e.seq INTO mine FROM {schema}.entries e
        WHERE e.id = new_id AND e.type <> 'person';"""

_SEALED: Final = f"""DECLARE
    own bigint;
    mine bigint;
    sealed boolean := false;
BEGIN
    PERFORM set_config('synchronous_commit', 'off', true);
    INSERT INTO {{schema}}.inbox (id, type, at, body)
        VALUES (new_id, new_type, new_at, new_body) RETURNING n INTO own;
    COMMIT;
    {_FIND_MINE}
    IF mine IS NULL THEN
        IF NOT pg_try_advisory_xact_lock({_LOCK}) THEN
            PERFORM pg_advisory_lock_shared({_LOCK});
            PERFORM pg_advisory_unlock_shared({_LOCK});
            {_FIND_MINE}
            IF mine IS NULL THEN
                PERFORM pg_advisory_xact_lock({_LOCK});
                {_FIND_MINE}
            END IF;
        END IF;
        IF mine IS NULL THEN
            PERFORM {{schema}}.favorledger_seal_inbox(own);
            {_FIND_MINE}
            sealed := true;
        END IF;
    END IF;
    -- the answer
    COMMIT;
    IF NOT sealed AND coalesce((SELECT s.seq FROM {{schema}}.seals s
            ORDER BY s.upto DESC LIMIT 1), 0) < mine THEN
        PERFORM pg_logical_emit_message(true, 'favorledger', '');
    END IF;
END;"""
"""``CALL favorledger_group_add(after, id, type, at, body, ...)``: append one
favor through the inbox, in one statement. (1) Hand the favor in to the
inbox (committed asynchronously, so that whoever seals next sees it). (2)
Wait until it is sealed into the chain: if nobody holds the ledger's lock,
take it and seal every waiting favor (one lock hand-off and one commit for
all of them); otherwise wait in *shared* mode until the holder lets go, so
one release wakes every waiter at once, and if the favor came too late for
that round, take the lock and seal the next one. Return every row after
``after`` up to the one that holds the favor's id (its own, or an entry
stored under that id before). A round that seals commits synchronously,
holding the lock until the disk has it, so every sealed favor is on disk
once it can be seen; favors handed in meanwhile wait for the next round,
which seals them together (PostgreSQL's own group commit, one level up).
(3) A writer whose id was found in an entry no sealing round has flushed
yet (stored the locked way, asynchronously) writes one WAL record and
commits synchronously (the flush barrier). When the call returns, the entry
that holds the favor is on disk."""

_GROUP: Final = _SEALED.replace(
    "    -- the answer\n",
    """    SELECT json_agg(json_build_array(e.seq, e.id, e.type, e.at, e.body,
            e.digest) ORDER BY e.seq) INTO r_rows
        FROM {schema}.entries e WHERE e.seq > after AND e.seq <= mine;
""",
)
_HAND_IN: Final = _SEALED.replace(
    "    -- the answer\n",
    """    SELECT e.seq, e.body = new_body INTO r_seq, r_same
        FROM {schema}.entries e WHERE e.seq = mine;
""",
)
"""``CALL favorledger_hand_in(id, type, at, body, ...)`` (version 4): the
group append of ``favorledger_group_add`` without the catch-up. It hands the
favor in, waits until it is sealed (sealing the round itself if the lock is
free) and returns only the ``seq`` of the entry that holds the favor's id
and whether that entry's body is the favor's (``r_same``); no other rows
travel back. The handle indexes other writers' entries, and its own, at its
next read (:class:`PostgresLedger`)."""

_GROUP_SIGNATURE: Final = (
    "favorledger_group_add(after bigint, new_id text, new_type text,"
    " new_at text, new_body text, OUT r_rows json)"
)
_SEAL_INBOX_SIGNATURE: Final = "favorledger_seal_inbox(own bigint) RETURNS void"
_HAND_IN_SIGNATURE: Final = (
    "favorledger_hand_in(new_id text, new_type text, new_at text,"
    " new_body text, OUT r_seq bigint, OUT r_same boolean)"
)

_SERVER_FUNCTIONS: Final = {
    # name: (the version that added it, signature, body)
    "favorledger_add": (2, _ADD_SIGNATURE, _ADD),
    "favorledger_seal_inbox": (3, _SEAL_INBOX_SIGNATURE, _SEAL_INBOX),
    "favorledger_group_add": (3, _GROUP_SIGNATURE, _GROUP),
    "favorledger_hand_in": (4, _HAND_IN_SIGNATURE, _HAND_IN),
}
"""The functions a ledger's writers call, by the version that added them."""

_TRIGGERS_V3: Final = {
    "inbox_no_update": (
        "inbox",
        "BEFORE UPDATE OR DELETE",
        "ROW",
        "favorledger_refuse",
    ),
    "inbox_no_truncate": (
        "inbox",
        "BEFORE TRUNCATE",
        "STATEMENT",
        "favorledger_refuse",
    ),
    "seals_no_update": (
        "seals",
        "BEFORE UPDATE OR DELETE",
        "ROW",
        "favorledger_refuse",
    ),
    "seals_no_truncate": (
        "seals",
        "BEFORE TRUNCATE",
        "STATEMENT",
        "favorledger_refuse",
    ),
}
"""The triggers version 3 adds: the inbox and the seals are append-only too."""


# ------------------------------------------- version 6: sealed on insert
_CHUNK: Final = 5000
"""Rows read per statement outside a write."""

_CHAIN: Final = (
    """CREATE TABLE {schema}.chain (
        pos bigint PRIMARY KEY,
        seq bigint NOT NULL UNIQUE,
        digest text NOT NULL CHECK (digest ~ '^[0-9a-f]{{64}}$')
    )""",
    "CREATE TABLE {schema}.pending (seq bigint NOT NULL)",
)
"""Version 6's tables. ``chain``: the digest chain, append-only, one row per
sealed entry in the order it was sealed (``pos``, dense from 1; ``seq`` is
the entry's row in ``entries``, which need not follow ``pos``). ``pending``:
the entries handed in and not sealed yet (a queue: the sealer deletes what
it seals)."""

_SEAL: Final = """DECLARE
    last_pos bigint;
    last_digest text;
    r record;
    mine bigint;
    poss bigint[] := '{{}}';
    seqs bigint[] := '{{}}';
    digests text[] := '{{}}';
    queued bigint[];
BEGIN
    WITH d AS (DELETE FROM {schema}.pending RETURNING seq)
        SELECT array_agg(d.seq) INTO queued FROM d;
    IF queued IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT c.pos, c.digest INTO last_pos, last_digest
        FROM {schema}.chain c ORDER BY c.pos DESC LIMIT 1;
    last_pos := coalesce(last_pos, 0);
    last_digest := coalesce(last_digest, repeat('0', 64));
    FOR r IN SELECT e.seq, e.body FROM {schema}.entries e
            WHERE e.seq = ANY (queued) ORDER BY e.seq LOOP
        last_pos := last_pos + 1;
        last_digest := encode(sha256(convert_to(
            last_digest || E'\\n' || r.body, 'UTF8')), 'hex');
        poss := poss || last_pos;
        seqs := seqs || r.seq;
        digests := digests || last_digest;
        IF r.seq = own THEN
            mine := last_pos;
        END IF;
    END LOOP;
    INSERT INTO {schema}.chain (pos, seq, digest)
        SELECT * FROM unnest(poss, seqs, digests);
    RETURN mine;
END;"""
"""``favorledger_seal(own)``, run by the holder of the ledger's lock: take
every queued entry it can see (committed by others, and its own) out of
``pending`` and append them to ``chain`` after its last ``pos``, in ``seq``
order, each digest the link of the one before. Returns the ``pos`` given to
the entry ``own`` (NULL if it was not among them). The queued rows are
fetched by primary key (``seq = ANY``): a join let the planner scan all of
``entries`` in every round (``benchmarks/README.md``). It runs with its
owner's rights (``SECURITY DEFINER``), so that a role that may only SELECT
and INSERT can still seal: it does nothing but move the queue into the
chain."""

_HAND_IN_V6: Final = f"""DECLARE
    own bigint;
BEGIN
    INSERT INTO {{schema}}.entries (id, type, at, body)
        VALUES (new_id, new_type, new_at, new_body) RETURNING seq INTO own;
    INSERT INTO {{schema}}.pending VALUES (own);
    r_same := true;
    IF pg_try_advisory_xact_lock({_LOCK}) THEN
        r_pos := {{schema}}.favorledger_seal(own);
    END IF;
END;"""
"""``CALL favorledger_hand_in(id, type, at, body, ...)`` (version 6): one
transaction, one synchronous commit. Insert the favor (its id is claimed by
the unique index: a clash raises, and the client takes the locked way),
queue it, and, if nobody holds the ledger's lock, take it and seal every
queued favor, its own among them. Nobody waits for the lock. Returns the
favor's ``pos`` in the chain if this call sealed it (``r_pos``, else NULL:
a later holder of the lock seals it) and ``r_same`` (always true)."""

HAND_IN_STATEMENT: Final = (
    "WITH favorledger_hand_in AS (INSERT INTO {schema}.entries (id, type, at, body)"
    " VALUES ($1, $2, $3, $4) RETURNING seq),"
    " queued AS (INSERT INTO {schema}.pending SELECT seq FROM favorledger_hand_in"
    " RETURNING true)"
    f" SELECT CASE WHEN pg_try_advisory_xact_lock({_LOCK})"
    " THEN {schema}.favorledger_seal(h.seq) END, true"
    " FROM favorledger_hand_in h, queued"
)
"""The hand-in a writer sends to a version 6 ledger (prepared once per
connection, ``$1`` to ``$4`` the favor's id, type, time and body): what
``favorledger_hand_in`` does, as one plain statement instead of a ``CALL``
of the PL/pgSQL procedure. It inserts the favor, queues it, and, if nobody
holds the ledger's lock, takes it and seals the queue, its own favor among
it (the seal runs after the favor's rows are written, and sees them: the
select reads ``queued``, which is written first; it returns a constant, so
the queue needs no ``SELECT`` privilege, as for the procedure);
returns the favor's ``pos`` if this statement sealed it (else NULL) and
``true`` (the procedure's ``r_same``). One transaction and one synchronous
commit, the same rows and the same privileges as the procedure (which stays
in the schema for writers of earlier releases); the server spends about a
fifth less CPU on it, the cost of running a procedure's body in PL/pgSQL
(``benchmarks/README.md``, "The hand-in as one statement")."""

_SEAL_QUEUED: Final = f"""BEGIN
    IF EXISTS (SELECT 1 FROM {{schema}}.pending) THEN
        PERFORM pg_advisory_xact_lock({_LOCK});
        PERFORM {{schema}}.favorledger_seal(NULL);
    END IF;
END;"""
"""``favorledger_seal_queued()``: if any entry is queued, wait for the
ledger's lock and seal the queue, so that every favor committed before the
call is in the chain when it returns (a reader that may write calls it
before reading; the queue is almost always empty, and then it takes no
lock). It runs with its owner's rights, as ``favorledger_seal`` does, and
returns nothing."""

_CATCH_UP: Final = f"""BEGIN
    PERFORM {{schema}}.favorledger_seal_queued();
    RETURN (SELECT json_agg(json_build_array(r.pos, r.id, r.type, r.at, r.body,
            r.digest) ORDER BY r.pos)
        FROM (SELECT c.pos, e.id, e.type, e.at, e.body, c.digest
            FROM {{schema}}.chain c JOIN {{schema}}.entries e ON e.seq = c.seq
            WHERE c.pos > after ORDER BY c.pos LIMIT {_CHUNK}) r);
END;"""
"""``SELECT favorledger_catch_up(after)``: seal the queue (as
``favorledger_seal_queued``), then return, as one JSON value, up to a chunk
of chain rows after ``after`` (``[pos, id, type, at, body, digest]`` in
``pos`` order): a writer's catch-up is one light round trip that sees every
favor committed before it, its own queued ones among them."""

_SEAL_SIGNATURE: Final = "favorledger_seal(own bigint) RETURNS bigint"
_HAND_IN_V6_SIGNATURE: Final = (
    "favorledger_hand_in(new_id text, new_type text, new_at text,"
    " new_body text, OUT r_pos bigint, OUT r_same boolean)"
)
_SEAL_QUEUED_SIGNATURE: Final = "favorledger_seal_queued() RETURNS void"
_CATCH_UP_SIGNATURE: Final = "favorledger_catch_up(after bigint) RETURNS json"

_SERVER_FUNCTIONS_V6: Final = {
    "favorledger_seal": (_SEAL_SIGNATURE, _SEAL),
    "favorledger_hand_in": (_HAND_IN_V6_SIGNATURE, _HAND_IN_V6),
    "favorledger_seal_queued": (_SEAL_QUEUED_SIGNATURE, _SEAL_QUEUED),
    "favorledger_catch_up": (_CATCH_UP_SIGNATURE, _CATCH_UP),
}
"""The functions a version 6 ledger's writers call (every other server
function is dropped by version 6)."""

_DEFINERS: Final = frozenset({"favorledger_seal", "favorledger_seal_queued"})
"""The functions that run with their owner's rights (``SECURITY DEFINER``,
with ``search_path`` set to ``pg_catalog, pg_temp`` so that no function or
operator a caller made can run with them): they only move queued entries
into the chain."""

_TRIGGERS_V6: Final = {
    "chain_no_update": (
        "chain",
        "BEFORE UPDATE OR DELETE",
        "ROW",
        "favorledger_refuse",
    ),
    "chain_no_truncate": (
        "chain",
        "BEFORE TRUNCATE",
        "STATEMENT",
        "favorledger_refuse",
    ),
}
"""The triggers version 6 adds: the chain is append-only."""


# ------------------------------------------------ version 7: sealed in rounds
_ROUNDS: Final = (
    f"""CREATE TABLE {{schema}}.rounds (
        pos bigint PRIMARY KEY,
        size integer NOT NULL,
        seqs bigint[] NOT NULL,
        digests text[] NOT NULL,
        horizon xid8 NOT NULL,
        CHECK (array_ndims(seqs) = 1 AND array_ndims(digests) = 1
            AND array_lower(seqs, 1) = 1 AND array_lower(digests, 1) = 1
            AND size BETWEEN 1 AND {ROUND_MAX} AND cardinality(seqs) = size
            AND cardinality(digests) = size
            AND array_position(seqs, NULL) IS NULL
            AND array_position(digests, NULL) IS NULL),
        CHECK (length(array_to_string(digests, '')) = 64 * size
            AND array_to_string(digests, '') ~ '^[0-9a-f]*$')
    )""",
    "ALTER TABLE {schema}.pending ADD COLUMN"
    " xid xid8 NOT NULL DEFAULT pg_current_xact_id()",
    "CREATE INDEX pending_xid ON {schema}.pending (xid)",
)
"""Version 7's chain: one row per sealing round, append-only. ``seqs``: the
round's entries (rows of ``entries``) in the order they were sealed;
``digests``: each one's link in the chain; ``size``: how many; ``pos``:
the position of its last entry (the positions are dense from 1, so its
first is ``pos - size + 1``). Readers compute positions from ``size``:
from ``cardinality(seqs)`` each row of a long round would decompress the
whole array again (a reopen of 10^5 favors took 32 s instead of 2.5). One
row, not one per entry, is what makes a round cheap: the chain of version
6 wrote a row and two index entries per favor (``benchmarks/README.md``,
"Sealed in rounds").

The checks on a round are cheap ones (array bounds, no NULLs, as many
digests as entries, hex digits and their total length): a regular
expression for 64 digits each doubled the insert of a one-favor round
(0.085 against 0.04 ms). A digest of the wrong length can never be a link
of the chain, so ``check`` reports it anyway.

``horizon``: every queued entry whose transaction id is below it has been
sealed (by this round or one before), and none can still be queued (see
:data:`_SEAL_V7`). The queue, ``pending``, records each entry's
transaction id (``xid``, indexed), so a round looks only at the queue
above the last round's horizon. Before, each round scanned the whole
queue table, which every seal leaves full of deleted rows until a vacuum
(about a minute apart): with 16 writers its delete took 0.7 ms after 25
seconds, 1.3 ms after 50, against 0.17 ms by the horizon."""

_SEAL_V7: Final = f"""DECLARE
    last_pos bigint;
    last_digest text;
    r record;
    mine bigint;
    seqs bigint[] := '{{{{}}}}';
    digests text[] := '{{{{}}}}';
    queued bigint[];
    mark xid8;
    horizon xid8;
BEGIN
    SELECT c.pos, c.digests[c.size], c.horizon INTO last_pos, last_digest, mark
        FROM {{schema}}.rounds c ORDER BY c.pos DESC LIMIT 1;
    -- before the delete's snapshot: every transaction below it has ended
    horizon := pg_snapshot_xmin(pg_current_snapshot());
    IF mark > horizon THEN  -- not this server's: restored from another
        mark := NULL;  -- look at the whole queue once
    END IF;
    WITH d AS (DELETE FROM {{schema}}.pending
            WHERE xid >= coalesce(mark, '0') RETURNING seq)
        SELECT array_agg(d.seq) INTO queued FROM d;
    IF queued IS NULL THEN
        RETURN NULL;
    END IF;
    last_pos := coalesce(last_pos, 0);
    last_digest := coalesce(last_digest, repeat('0', 64));
    FOR r IN SELECT e.seq, e.body FROM {{schema}}.entries e
            WHERE e.seq = ANY (queued) ORDER BY e.seq LOOP
        last_pos := last_pos + 1;
        last_digest := encode(sha256(convert_to(
            last_digest || E'\\n' || r.body, 'UTF8')), 'hex');
        seqs := seqs || r.seq;
        digests := digests || last_digest;
        IF r.seq = own THEN
            mine := last_pos;
        END IF;
        IF cardinality(seqs) = {ROUND_MAX} THEN
            INSERT INTO {{schema}}.rounds VALUES (last_pos, {ROUND_MAX}, seqs,
                digests, horizon);
            seqs := '{{{{}}}}';
            digests := '{{{{}}}}';
        END IF;
    END LOOP;
    IF cardinality(seqs) > 0 THEN
        INSERT INTO {{schema}}.rounds VALUES (last_pos, cardinality(seqs), seqs,
            digests, horizon);
    END IF;
    RETURN mine;
END;"""
"""``favorledger_seal(own)`` of version 7: as version 6's, but the round's
entries go into one ``rounds`` row (a row per :data:`ROUND_MAX` of them),
their digests the same links, and the queue is read above the last round's
horizon only. Why that loses nothing: the horizon is the oldest
transaction still running when it is read, before the delete takes its
snapshot, so every transaction below it had ended by then, and the delete
sees every entry such a transaction queued and committed (one that
aborted queued nothing). Entries below the last horizon were sealed
before, by the same argument; so after the delete no entry below the new
horizon is queued, or ever will be. The sealer's own transaction is still
running, so its own entry is above it. Sealers hold the ledger's lock, so
rounds come one at a time. The oldest running transaction only moves up on
one server, so a last horizon above the current one was not taken here (a
ledger dumped and restored into another server, whose transaction ids
start lower, or a round inserted past favorledger): the round then looks
at the whole queue, and records this server's horizon."""


def chain_links(schema: str, version: int, after: str, span: int) -> str:
    """A ``FROM`` item of the chain's links, ``(pos, seq, digest)``, among
    them every link after position ``after`` (an SQL expression; the caller
    filters on ``c.pos > after`` and orders) up to ``after + span``.

    Version 6 reads its ``chain`` table; version 7 unnests the rounds that
    end after ``after`` and begin no later than ``span`` positions past it,
    found by a range of the primary key (a round holds at most
    :data:`ROUND_MAX` entries), at most ``span`` of them (each holds one
    position of the range at least: rounds of one favor, one writer's, are
    read no further than the range).

    Examples
    --------
    >>> chain_links('"club"', 6, "$1", 100)
    '"club".chain'
    >>> chain_links('"club"', 7, "$1", 100).split(" WHERE ")[1].split(") rd")[0]
    'pos > $1 AND pos <= $1 + 5100 AND pos - size < $1 + 100 ORDER BY pos LIMIT 100'
    """
    if version < SEALED_IN_ROUNDS:
        return f"{schema}.chain"
    return (
        "(SELECT rd.pos - rd.size + o.i AS pos, o.seq, o.digest"
        f" FROM (SELECT * FROM {schema}.rounds WHERE pos > {after}"
        f" AND pos <= {after} + {span + ROUND_MAX} AND pos - size < {after} + {span}"
        f" ORDER BY pos LIMIT {span}) rd,"
        " unnest(rd.seqs, rd.digests) WITH ORDINALITY AS o (seq, digest, i))"
    )


EVERY_LINK: Final = 2**61
"""A ``span`` for :func:`chain_links` that reaches the chain's end."""

_CATCH_UP_V7: Final = _CATCH_UP.replace(
    "{schema}.chain c", f"{chain_links('{schema}', 7, 'after', _CHUNK)} c"
)
"""``favorledger_catch_up(after)`` of version 7: the same, from the rounds."""

_SEAL_QUEUED_V7: Final = f"""DECLARE
    mark xid8;
BEGIN
    SELECT r.horizon INTO mark FROM {{schema}}.rounds r ORDER BY r.pos DESC LIMIT 1;
    IF mark > pg_snapshot_xmin(pg_current_snapshot()) THEN
        mark := NULL;  -- not this server's (see favorledger_seal)
    END IF;
    IF EXISTS (SELECT 1 FROM {{schema}}.pending
            WHERE xid >= coalesce(mark, '0')) THEN
        PERFORM pg_advisory_xact_lock({_LOCK});
        PERFORM {{schema}}.favorledger_seal(NULL);
    END IF;
END;"""
"""``favorledger_seal_queued()`` of version 7: the same, looking at the
queue above the last round's horizon only (a horizon read without the
lock may be stale, and so lower: looking above it misses nothing)."""

_SERVER_FUNCTIONS_V7: Final = {
    **_SERVER_FUNCTIONS_V6,
    "favorledger_seal": (_SEAL_SIGNATURE, _SEAL_V7),
    "favorledger_catch_up": (_CATCH_UP_SIGNATURE, _CATCH_UP_V7),
    "favorledger_seal_queued": (_SEAL_QUEUED_SIGNATURE, _SEAL_QUEUED_V7),
}
"""The functions a version 7 ledger's writers call."""

_TRIGGERS_V7: Final = {
    "rounds_no_update": (
        "rounds",
        "BEFORE UPDATE OR DELETE",
        "ROW",
        "favorledger_refuse",
    ),
    "rounds_no_truncate": (
        "rounds",
        "BEFORE TRUNCATE",
        "STATEMENT",
        "favorledger_refuse",
    ),
}
"""The triggers version 7 adds (the chain's go with its table): the rounds
are append-only."""


def server_functions(version: int) -> dict[str, str]:
    """The writers' functions a ledger of ``version`` has, by name: their
    bodies (``{schema}`` and ``{name}`` still to fill).

    Examples
    --------
    >>> len(server_functions(5)), "favorledger_add" in server_functions(5)
    (4, True)
    >>> sorted(server_functions(6))[:2]
    ['favorledger_catch_up', 'favorledger_hand_in']
    """
    if version >= SEALED_ON_INSERT:
        return {name: body for name, (_, body) in _sealed_functions(version).items()}
    return {
        name: body
        for name, (since, _, body) in _SERVER_FUNCTIONS.items()
        if version >= since
    }


def expected_triggers(version: int) -> dict[str, tuple[str, str, str, str]]:
    """The triggers a ledger of ``version`` has: name -> (table, timing and
    events, level, function)."""
    found = dict(_TRIGGERS)
    if version >= 3:
        found.update(_TRIGGERS_V3)
    if version >= SEALED_ON_INSERT:
        del found["entries_append"]
        found.update(_TRIGGERS_V6)
    if version >= SEALED_IN_ROUNDS:
        for name in _TRIGGERS_V6:
            del found[name]
        found.update(_TRIGGERS_V7)
    return found


def definer_settings(version: int) -> list[str]:
    """The settings the functions that run with their owner's rights
    (:data:`_DEFINERS`) fix for their call, as ``pg_proc.proconfig`` lists
    them: the search path, and from version 7 no sequential scans (the seal
    reads the queue by its index above the horizon: the planner, seeing a
    queue table full of deleted rows and few live ones, might scan it all).

    Examples
    --------
    >>> definer_settings(7)
    ['search_path=pg_catalog, pg_temp', 'enable_seqscan=off']
    """
    settings = ["search_path=pg_catalog, pg_temp"]
    if version >= SEALED_IN_ROUNDS:
        settings.append("enable_seqscan=off")
    return settings


def _sealed_functions(version: int) -> dict[str, tuple[str, str]]:
    """The writers' functions of a ledger sealed on insert, by name: their
    signatures and bodies."""
    if version >= SEALED_IN_ROUNDS:
        return _SERVER_FUNCTIONS_V7
    return _SERVER_FUNCTIONS_V6


# ---------------------------------------------------------------- migrations
def _function(name: str) -> str:
    _, signature, body = _SERVER_FUNCTIONS[name]
    kind = "PROCEDURE" if "RETURNS" not in signature else "FUNCTION"
    return f"CREATE {kind} {{schema}}.{signature} LANGUAGE plpgsql AS $fl${body}$fl$"


def _trigger(name: str, table: str, events: str, level: str, function: str) -> str:
    return (
        f"CREATE TRIGGER {name} {events} ON {{schema}}.{table}"
        f" FOR EACH {level} EXECUTE FUNCTION {{schema}}.{function}()"
    )


def _function_v6(name: str, version: int = SEALED_ON_INSERT) -> str:
    signature, body = _sealed_functions(version)[name]
    kind = "PROCEDURE" if "RETURNS" not in signature else "FUNCTION"
    rights = ""
    if name in _DEFINERS:  # a caller's search_path must not reach the owner's rights
        settings = (setting.split("=", 1) for setting in definer_settings(version))
        rights = " SECURITY DEFINER" + "".join(
            f" SET {key} = {value}" for key, value in settings
        )
    replace = " OR REPLACE" if version > SEALED_ON_INSERT else ""
    return (
        f"CREATE{replace} {kind} {{schema}}.{signature} LANGUAGE plpgsql{rights}"
        f" AS $fl${body}$fl$"
    )


_SEALED_ON_INSERT: Final = (
    # what version 5's writers left in the inbox joins the chain first
    "SELECT {schema}.favorledger_seal_inbox(0)",
    "DROP PROCEDURE {schema}.favorledger_hand_in",
    "DROP PROCEDURE {schema}.favorledger_group_add",
    "DROP FUNCTION {schema}.favorledger_seal_inbox",
    "DROP FUNCTION {schema}.favorledger_add",
    "DROP TRIGGER entries_append ON {schema}.entries",
    "DROP FUNCTION {schema}.favorledger_append",
    "ALTER TABLE {schema}.entries ALTER COLUMN digest DROP NOT NULL",
    "ALTER TABLE {schema}.entries ALTER COLUMN seq ADD GENERATED BY DEFAULT"
    " AS IDENTITY",
    "SELECT setval(pg_get_serial_sequence('{schema}.entries', 'seq'),"
    " (SELECT max(seq) FROM {schema}.entries))",
    *_CHAIN,
    # every entry stored so far keeps its place and digest: same head
    "INSERT INTO {schema}.chain (pos, seq, digest)"
    " SELECT seq, seq, digest FROM {schema}.entries ORDER BY seq",
    *(_trigger(name, *how) for name, how in _TRIGGERS_V6.items()),
    _function_v6("favorledger_seal"),
    _function_v6("favorledger_hand_in"),
    _function_v6("favorledger_seal_queued"),
    _function_v6("favorledger_catch_up"),
)
"""Version 6: sealed on insert (see :mod:`favorledger.io.postgres`)."""

_GRANTS_TO_ROUNDS: Final = """DO $grants$
DECLARE
    g record;
BEGIN
    FOR g IN SELECT a.grantee, a.privilege_type, a.is_grantable FROM pg_class c,
            aclexplode(c.relacl) a
            WHERE c.oid = '{schema}.chain'::regclass AND a.grantee <> c.relowner
            AND a.privilege_type IN ('SELECT', 'INSERT') LOOP
        EXECUTE format('GRANT %s ON {schema}.rounds TO %s%s', g.privilege_type,
            CASE WHEN g.grantee = 0 THEN 'PUBLIC'
                ELSE quote_ident(pg_get_userbyid(g.grantee)) END,
            CASE WHEN g.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);
    END LOOP;
END $grants$"""
"""Version 7's step that gives every role that may read (append to) the
chain the same right on the rounds, so an app role keeps working; a role
that could grant it on the chain can grant it on the rounds (column grants
are not carried: favorledger's documented grants are on whole tables)."""

_SEALED_IN_ROUNDS: Final = (
    *_ROUNDS,
    # the chain so far, in rounds of ROUND_MAX links: the same links, same head
    "INSERT INTO {schema}.rounds (pos, size, seqs, digests, horizon)"
    " SELECT max(pos), count(*), array_agg(seq ORDER BY pos),"
    " array_agg(digest ORDER BY pos), '0'"
    f" FROM {{schema}}.chain GROUP BY (pos - 1) / {ROUND_MAX}",
    _GRANTS_TO_ROUNDS,
    "DROP TABLE {schema}.chain",  # its triggers go with it
    *(_trigger(name, *how) for name, how in _TRIGGERS_V7.items()),
    _function_v6("favorledger_seal", SEALED_IN_ROUNDS),
    _function_v6("favorledger_seal_queued", SEALED_IN_ROUNDS),
    _function_v6("favorledger_catch_up", SEALED_IN_ROUNDS),
)
"""Version 7: sealed in rounds (see :mod:`favorledger.io.postgres`)."""

MIGRATIONS: dict[int, tuple[str, ...]] = {
    2: (_function("favorledger_add"),),
    3: (
        *_INBOX,
        _function("favorledger_seal_inbox"),
        _function("favorledger_group_add"),
        *(_trigger(name, *how) for name, how in _TRIGGERS_V3.items()),
    ),
    4: (_function("favorledger_hand_in"),),
    5: ("DROP INDEX IF EXISTS {schema}.entries_type_at",),
    6: _SEALED_ON_INSERT,
    7: _SEALED_IN_ROUNDS,
}
"""The statements that bring a ledger from version ``v - 1`` to ``v``, by
``v`` (``{schema}`` stands for the ledger's quoted schema, ``{name}`` for its
name). A new ledger is made at version 1 and brought up by these steps;
opening an older ledger for writing runs the missing steps in one
transaction under the ledger's lock."""
