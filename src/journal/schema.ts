/**
 * The journal's tables, versioned with `PRAGMA user_version`: MIGRATIONS[i] takes a database
 * from version i to i + 1. `application_id` tells our journal from any other SQLite file.
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
  -- transaction, and even then only HealthProbed rows can go.
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
  `
]

export const SCHEMA_VERSION = MIGRATIONS.length
