/**
 * The journal's tables, versioned with `PRAGMA user_version`: MIGRATIONS[i] takes a database
 * from version i to i + 1, and a journal opens migrated to the newest. A released migration is
 * never edited (journals already past it would never see the change): a change is a new one.
 * `application_id` tells our journal from any other SQLite file.
 */
export const APPLICATION_ID = 0x6f726368 // "orch"

export const MIGRATIONS: ReadonlyArray<string> = [
  `
  CREATE TABLE events (
    seq      INTEGER PRIMARY KEY,
    at       INTEGER NOT NULL,
    instance TEXT,
    type     TEXT    NOT NULL,
    v        INTEGER NOT NULL,
    data     TEXT    NOT NULL
  );
  -- No index on instance: with many instances interleaved it dirtied a B-tree leaf per row and
  -- cut group-commit throughput (bench/RESULTS.md), while a rowid-order scan that filters on
  -- instance reads a million rows fast enough.
  CREATE INDEX events_by_type ON events (type, seq);
  CREATE INDEX events_by_time ON events (at);

  CREATE TABLE snapshots (
    seq          INTEGER NOT NULL,
    fold_version INTEGER NOT NULL,
    at           INTEGER NOT NULL,
    state        TEXT    NOT NULL,
    PRIMARY KEY (fold_version, seq)
  );

  -- The single way past the append-only rule: compaction opens this gate inside its own
  -- transaction, and even then only the high-volume types the delete trigger names can go
  -- (HealthProbed here; MIGRATIONS[1] adds RequestServed).
  CREATE TABLE compaction_gate (open INTEGER NOT NULL);
  INSERT INTO compaction_gate (open) VALUES (0);

  CREATE TRIGGER events_are_never_updated BEFORE UPDATE ON events
  BEGIN
    SELECT RAISE(ABORT, 'the journal is append-only: events are never updated');
  END;

  CREATE TRIGGER events_are_never_deleted BEFORE DELETE ON events
  WHEN OLD.type <> 'HealthProbed' OR (SELECT open FROM compaction_gate) = 0
  BEGIN
    SELECT RAISE(ABORT, 'the journal is append-only: only compaction deletes, and only old HealthProbed events');
  END;
  `,
  `
  -- The gateway records a RequestServed per request, as many as probes: compaction may delete
  -- old ones too. Every other type still stays for good, and nothing goes while the gate is shut.
  DROP TRIGGER events_are_never_deleted;
  CREATE TRIGGER events_are_never_deleted BEFORE DELETE ON events
  WHEN OLD.type NOT IN ('HealthProbed', 'RequestServed') OR (SELECT open FROM compaction_gate) = 0
  BEGIN
    SELECT RAISE(ABORT, 'the journal is append-only: only compaction deletes, and only old HealthProbed and RequestServed events');
  END;
  `
]

export const SCHEMA_VERSION = MIGRATIONS.length
