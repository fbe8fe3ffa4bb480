-- A receipt's lineage is the tree of records that replaced it through previous_receipt; its
-- root is the first record. Each record keeps its lineage root (NULL for a root), and
-- receipt_heads points from a root to the lineage's newest record by (recorded_at_ms,
-- chain_id, seq), moved in the same transaction as the batch that appends it: reading a
-- receipt's current state takes two index lookups however long its lineage is.
-- secret_hash is the SHA-256 of the secret handed only to the client that made the record, the
-- proof it presents to extend the lineage. Neither column is covered by the record hash.
ALTER TABLE consent_records ADD COLUMN lineage_root TEXT;
ALTER TABLE consent_records ADD COLUMN secret_hash TEXT;

CREATE TABLE IF NOT EXISTS receipt_heads (
    root_id             TEXT    NOT NULL PRIMARY KEY,
    head_id             TEXT    NOT NULL,
    head_recorded_at_ms BIGINT  NOT NULL,
    head_chain_id       TEXT    NOT NULL,
    head_seq            BIGINT  NOT NULL
);

-- Backfill: walk every lineage from its root (a record naming no previous receipt, or one the
-- ledger does not hold), then point each root at its newest descendant. Statistics first: a
-- table the planner has none of is walked with a scan per hop (minutes for 10,000 hops).
ANALYZE consent_records;
CREATE TEMP TABLE lineage_backfill AS
WITH RECURSIVE walk (id, root) AS (
    SELECT r.id, r.id FROM consent_records AS r
    WHERE r.previous_receipt IS NULL
       OR NOT EXISTS (SELECT 1 FROM consent_records AS p WHERE p.id = r.previous_receipt)
    UNION
    SELECT next.id, walk.root FROM walk
    JOIN consent_records AS next ON next.previous_receipt = walk.id
    WHERE next.previous_receipt IS NOT NULL
)
SELECT id, root FROM walk;
ANALYZE lineage_backfill;

UPDATE consent_records SET lineage_root = b.root
FROM lineage_backfill AS b
WHERE b.id = consent_records.id AND b.root <> b.id;

INSERT INTO receipt_heads (root_id, head_id, head_recorded_at_ms, head_chain_id, head_seq)
SELECT lineage_root, id, recorded_at_ms, chain_id, seq FROM (
    SELECT lineage_root, id, recorded_at_ms, chain_id, seq,
           ROW_NUMBER() OVER (PARTITION BY lineage_root
                              ORDER BY recorded_at_ms DESC, chain_id DESC, seq DESC) AS newest
    FROM consent_records WHERE lineage_root IS NOT NULL
) AS ranked
WHERE newest = 1;

DROP TABLE lineage_backfill;
