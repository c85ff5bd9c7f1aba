-- Contender (e) of profile_postgres.py --floor: "durable on insert, sealed in
-- the same transaction by whoever holds the seal lock". Benchmark only, not
-- a schema favorledger makes.
--
-- * entries: one insert per favor (seq from an identity, the id claimed by
--   the partial unique index at insert time), no digest, no insert trigger;
--   UPDATE, DELETE and TRUNCATE refused as in version 5.
-- * chain (pos, seq, digest): the chain, append-only, in SEAL order (pos is
--   dense; seq is not: a row that commits late is sealed in a later round,
--   at a later pos). No insert trigger: pos is unique (its primary key),
--   and `check` would verify that it is dense and every digest follows
--   (a trigger checking pos, or re-deriving each digest, cost 5 to 10% of
--   the rate in the variants measured).
-- * pending (seq): the rows not sealed yet; a queue, not the record, so the
--   sealer deletes from it (no index: the sealer takes every row it can
--   see, and an index on a queue that is emptied each round cost more).
-- * hand_in(...): one CALL, one transaction, one synchronous commit: insert
--   (an id clash is an error: the client would take its slow path, as the
--   store does today), queue, then pg_try_advisory_xact_lock: the holder
--   seals every committed unsealed row it can see, its own among them, in
--   one INSERT; nobody ever waits for the lock.
DROP SCHEMA IF EXISTS floor_e CASCADE;
CREATE SCHEMA floor_e;
CREATE TABLE floor_e.entries (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id text NOT NULL,
    type text NOT NULL CHECK (length(type) > 0),
    at text NOT NULL,
    body text NOT NULL
);
CREATE UNIQUE INDEX entries_entry_id ON floor_e.entries (id) WHERE type <> 'person';
CREATE UNIQUE INDEX entries_person_statement ON floor_e.entries (id, at)
    WHERE type = 'person';
CREATE TABLE floor_e.chain (
    pos bigint PRIMARY KEY,
    seq bigint NOT NULL UNIQUE,
    digest text NOT NULL CHECK (digest ~ '^[0-9a-f]{64}$'),
    sealed_at timestamptz NOT NULL DEFAULT now()  -- measurement only: the seal's start
);
CREATE TABLE floor_e.pending (seq bigint NOT NULL);

CREATE FUNCTION floor_e.refuse() RETURNS trigger LANGUAGE plpgsql AS $fl$
BEGIN
    RAISE EXCEPTION 'favorledger % is append-only: % refused',
        TG_TABLE_NAME, TG_OP USING ERRCODE = 'restrict_violation';
END;$fl$;
CREATE TRIGGER entries_no_update BEFORE UPDATE OR DELETE ON floor_e.entries
    FOR EACH ROW EXECUTE FUNCTION floor_e.refuse();
CREATE TRIGGER entries_no_truncate BEFORE TRUNCATE ON floor_e.entries
    FOR EACH STATEMENT EXECUTE FUNCTION floor_e.refuse();
CREATE TRIGGER chain_no_update BEFORE UPDATE OR DELETE ON floor_e.chain
    FOR EACH ROW EXECUTE FUNCTION floor_e.refuse();
CREATE TRIGGER chain_no_truncate BEFORE TRUNCATE ON floor_e.chain
    FOR EACH STATEMENT EXECUTE FUNCTION floor_e.refuse();

CREATE FUNCTION floor_e.seal() RETURNS integer LANGUAGE plpgsql AS $fl$
DECLARE
    last_pos bigint;
    last_digest text;
    r record;
    n integer := 0;
    poss bigint[] := '{}';
    seqs bigint[] := '{}';
    digests text[] := '{}';
    queued bigint[];
BEGIN
    SELECT pos, digest INTO last_pos, last_digest
        FROM floor_e.chain ORDER BY pos DESC LIMIT 1;
    last_pos := coalesce(last_pos, 0);
    last_digest := coalesce(last_digest, repeat('0', 64));
    WITH d AS (DELETE FROM floor_e.pending RETURNING seq)
        SELECT array_agg(d.seq) INTO queued FROM d;
    IF queued IS NULL THEN
        RETURN 0;
    END IF;
    -- by the primary key (a join let the planner scan all of entries)
    FOR r IN SELECT e.seq, e.body FROM floor_e.entries e
            WHERE e.seq = ANY (queued) ORDER BY e.seq LOOP
        last_pos := last_pos + 1;
        last_digest := encode(sha256(convert_to(
            last_digest || E'\n' || r.body, 'UTF8')), 'hex');
        poss := poss || last_pos;
        seqs := seqs || r.seq;
        digests := digests || last_digest;
        n := n + 1;
    END LOOP;
    INSERT INTO floor_e.chain (pos, seq, digest)
        SELECT * FROM unnest(poss, seqs, digests);
    RETURN n;
END;$fl$;

CREATE PROCEDURE floor_e.hand_in(new_id text, new_type text, new_at text,
        new_body text, OUT r_seq bigint, OUT r_same boolean)
LANGUAGE plpgsql AS $fl$
BEGIN
    INSERT INTO floor_e.entries (id, type, at, body)
        VALUES (new_id, new_type, new_at, new_body)
        RETURNING seq INTO r_seq;
    r_same := true;
    INSERT INTO floor_e.pending VALUES (r_seq);
    IF pg_try_advisory_xact_lock(1179014215, 6) THEN
        PERFORM floor_e.seal();
    END IF;
END;$fl$;

-- Contenders (g) and (h): the same insert with no queue and no seal at all,
-- the most any "durable on insert, sealed later" design with this table
-- could reach (someone must still seal, on the same cores).
CREATE PROCEDURE floor_e.insert_only(new_id text, new_type text, new_at text,
        new_body text, OUT r_seq bigint, OUT r_same boolean)
LANGUAGE plpgsql AS $fl$
BEGIN
    INSERT INTO floor_e.entries (id, type, at, body)
        VALUES (new_id, new_type, new_at, new_body)
        RETURNING seq INTO r_seq;
    r_same := true;
END;$fl$;

-- Contenders (i) and (j): (e) as one prepared statement instead of a
-- PL/pgSQL CALL (profile_postgres.py's _SEAL_STATEMENT): insert, try the
-- lock, queue the row only if the lock was taken by someone else, and only
-- the holder runs PL/pgSQL: seal_own, which seals the queue and its own row
-- (passed in, not queued) in seq order.
CREATE FUNCTION floor_e.seal_own(own bigint, own_body text) RETURNS integer
LANGUAGE plpgsql AS $fl$
DECLARE
    last_pos bigint;
    last_digest text;
    r record;
    n integer := 0;
    poss bigint[] := '{}';
    seqs bigint[] := '{}';
    digests text[] := '{}';
    queued bigint[];
BEGIN
    SELECT pos, digest INTO last_pos, last_digest
        FROM floor_e.chain ORDER BY pos DESC LIMIT 1;
    last_pos := coalesce(last_pos, 0);
    last_digest := coalesce(last_digest, repeat('0', 64));
    WITH d AS (DELETE FROM floor_e.pending RETURNING seq)
        SELECT array_agg(d.seq) INTO queued FROM d;
    FOR r IN SELECT e.seq, e.body FROM floor_e.entries e
            WHERE e.seq = ANY (queued) AND e.seq < own
            UNION ALL SELECT own, own_body
            UNION ALL SELECT e.seq, e.body FROM floor_e.entries e
            WHERE e.seq = ANY (queued) AND e.seq > own ORDER BY 1 LOOP
        last_pos := last_pos + 1;
        last_digest := encode(sha256(convert_to(
            last_digest || E'\n' || r.body, 'UTF8')), 'hex');
        poss := poss || last_pos;
        seqs := seqs || r.seq;
        digests := digests || last_digest;
        n := n + 1;
    END LOOP;
    INSERT INTO floor_e.chain (pos, seq, digest)
        SELECT * FROM unnest(poss, seqs, digests);
    RETURN n;
END;$fl$;
