-- A prototype (benchmarks only, not a schema favorledger makes) of a sealed log
-- written once per favor: writers insert straight into entries (seq from a
-- sequence, no digest) under a shared drain lock; the holder of the ledger's
-- lock drains in-flight inserts, chains every new row and writes one mark
-- (seq, digest) per round. profile_postgres.py --ceiling --prototype runs it.
DROP SCHEMA IF EXISTS proto CASCADE;
CREATE SCHEMA proto;
CREATE TABLE proto.entries (seq bigint PRIMARY KEY, id text NOT NULL, type text NOT NULL,
  at text NOT NULL, body text NOT NULL, digest text CHECK (digest ~ '^[0-9a-f]{64}$'));
CREATE UNIQUE INDEX proto_entry_id ON proto.entries (id) WHERE type <> 'person';
CREATE UNIQUE INDEX proto_person ON proto.entries (id, at) WHERE type = 'person';
CREATE SEQUENCE proto.entries_seq;
CREATE TABLE proto.marks (seq bigint PRIMARY KEY, digest text NOT NULL, synced boolean NOT NULL);
CREATE FUNCTION proto.append() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.digest IS NULL THEN
    IF NEW.seq <= coalesce((SELECT m.seq FROM proto.marks m ORDER BY m.seq DESC LIMIT 1), 0) THEN
      RAISE EXCEPTION 'sealed' USING ERRCODE = 'restrict_violation';
    END IF;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER entries_append BEFORE INSERT ON proto.entries FOR EACH ROW EXECUTE FUNCTION proto.append();
CREATE FUNCTION proto.seal(synced boolean) RETURNS void LANGUAGE plpgsql AS $$
DECLARE last_seq bigint; last_digest text; top bigint; upto bigint; r record;
BEGIN
  SELECT m.seq, m.digest INTO last_seq, last_digest FROM proto.marks m ORDER BY m.seq DESC LIMIT 1;
  last_seq := coalesce(last_seq, 0); last_digest := coalesce(last_digest, repeat('0', 64));
  PERFORM pg_advisory_lock(2, 2);
  SELECT s.last_value INTO upto FROM proto.entries_seq s;
  PERFORM pg_advisory_unlock(2, 2);
  FOR r IN SELECT e.seq, e.body FROM proto.entries e WHERE e.seq > last_seq AND e.seq <= upto ORDER BY e.seq LOOP
    last_digest := encode(sha256(convert_to(last_digest || E'\n' || r.body, 'UTF8')), 'hex');
    top := r.seq;
  END LOOP;
  IF top IS NOT NULL THEN INSERT INTO proto.marks VALUES (top, last_digest, synced); END IF;
END $$;
CREATE PROCEDURE proto.hand_in(new_id text, new_type text, new_at text, new_body text,
    OUT r_seq bigint, OUT r_same boolean) LANGUAGE plpgsql AS $$
DECLARE mine bigint; sealed boolean := false;
BEGIN
  PERFORM set_config('synchronous_commit', 'off', true);
  PERFORM pg_advisory_xact_lock_shared(2, 2);
  INSERT INTO proto.entries (seq, id, type, at, body)
    VALUES (nextval('proto.entries_seq'), new_id, new_type, new_at, new_body) RETURNING seq INTO mine;
  COMMIT;
  IF NOT pg_try_advisory_xact_lock(1, 1) THEN
    PERFORM pg_advisory_lock_shared(1, 1);
    PERFORM pg_advisory_unlock_shared(1, 1);
    IF coalesce((SELECT m.seq FROM proto.marks m ORDER BY m.seq DESC LIMIT 1), 0) < mine THEN
      PERFORM pg_advisory_xact_lock(1, 1);
    END IF;
  END IF;
  IF coalesce((SELECT m.seq FROM proto.marks m ORDER BY m.seq DESC LIMIT 1), 0) < mine THEN
    PERFORM proto.seal(true);
    sealed := true;
  END IF;
  r_seq := mine; r_same := true;
  COMMIT;
  IF NOT sealed AND NOT (SELECT m.synced FROM proto.marks m WHERE m.seq >= mine ORDER BY m.seq LIMIT 1) THEN
    PERFORM pg_logical_emit_message(true, 'favorledger', '');
  END IF;
END $$;
