-- Most records name no previous receipt: index only those that do, so appends touch one index
-- fewer.
DROP INDEX IF EXISTS consent_records_previous;
CREATE INDEX IF NOT EXISTS consent_records_previous_some ON consent_records (previous_receipt)
    WHERE previous_receipt IS NOT NULL;
