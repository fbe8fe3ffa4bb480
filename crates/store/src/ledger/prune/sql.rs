//! The pruning statements: a chain's seals, the records after a seal with when each was
//! superseded, and the one transaction that removes a prefix and keeps its seal.

crate::backend::per_backend! {
    shared {
        use sqlx::Row as _;

        use crate::error::StoreError;
        use crate::ledger::prune::{PruneCandidate, SealRefused, StoredSeal};

        const SEAL_COLUMNS: &str = "chain_id, size, head_hash, sealed_at_ms, key_id, note";

        pub async fn seals(pool: &Pool, chain_id: &str) -> Result<Vec<StoredSeal>, StoreError> {
            let rows = sqlx::query(&format!(
                "SELECT {SEAL_COLUMNS} FROM ledger_seals WHERE chain_id = $1 ORDER BY size"
            ))
            .bind(chain_id)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|row| {
                    Ok(StoredSeal {
                        chain_id: row.try_get("chain_id")?,
                        size: row.try_get("size")?,
                        head_hash: row.try_get("head_hash")?,
                        sealed_at_ms: row.try_get("sealed_at_ms")?,
                        key_id: row.try_get("key_id")?,
                        note: row.try_get("note")?,
                    })
                })
                .collect()
        }

        /// Records of `chain_id` after `after_seq` in seq order, each with the time of the
        /// earliest later record of its lineage (records whose `lineage_root`, or whose own id,
        /// is the record's lineage root), over the sparse index `consent_records_lineage_some`.
        pub async fn candidates(
            pool: &Pool,
            chain_id: &str,
            after_seq: i64,
            limit: i64,
        ) -> Result<Vec<PruneCandidate>, StoreError> {
            let rows = sqlx::query(
                "SELECT r.seq, r.id, r.hash, r.recorded_at_ms, r.expires_at_ms, ( \
                     SELECT MIN(s.recorded_at_ms) FROM consent_records AS s \
                     WHERE (s.lineage_root = COALESCE(r.lineage_root, r.id) \
                            OR s.id = COALESCE(r.lineage_root, r.id)) \
                       AND (s.recorded_at_ms, s.chain_id, s.seq) \
                           > (r.recorded_at_ms, r.chain_id, r.seq) \
                 ) AS superseded_at_ms \
                 FROM consent_records AS r WHERE r.chain_id = $1 AND r.seq > $2 \
                 ORDER BY r.seq LIMIT $3",
            )
            .bind(chain_id)
            .bind(after_seq)
            .bind(limit)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|row| {
                    Ok(PruneCandidate {
                        seq: row.try_get("seq")?,
                        id: row.try_get("id")?,
                        hash: row.try_get("hash")?,
                        recorded_at_ms: row.try_get("recorded_at_ms")?,
                        expires_at_ms: row.try_get("expires_at_ms")?,
                        superseded_at_ms: row.try_get("superseded_at_ms")?,
                    })
                })
                .collect()
        }

        pub async fn recorded_head_seq(
            pool: &Pool,
            chain_id: &str,
        ) -> Result<Option<i64>, StoreError> {
            let seq = sqlx::query_scalar("SELECT head_seq FROM ledger_chains WHERE chain_id = $1")
                .bind(chain_id)
                .fetch_optional(pool)
                .await?;
            Ok(seq)
        }

        pub async fn remove_sealed_prefix(
            pool: &Pool,
            seal: &StoredSeal,
        ) -> Result<Result<u64, SealRefused>, StoreError> {
            let mut conn = pool.acquire().await?;
            let mut tx = begin_write(&mut conn).await?;
            let chain = seal.chain_id.as_str();
            let sealed: Option<i64> =
                sqlx::query_scalar("SELECT MAX(size) FROM ledger_seals WHERE chain_id = $1")
                    .bind(chain)
                    .fetch_one(&mut *tx)
                    .await?;
            let sealed = sealed.unwrap_or(0);
            if seal.size <= sealed {
                return Ok(Err(SealRefused::NotBeyondTheSeal {
                    chain_id: chain.to_owned(),
                    sealed,
                }));
            }
            let head: Option<i64> =
                sqlx::query_scalar("SELECT head_seq FROM ledger_chains WHERE chain_id = $1")
                    .bind(chain)
                    .fetch_optional(&mut *tx)
                    .await?;
            if head.is_none_or(|head| seal.size >= head) {
                return Ok(Err(SealRefused::ReachesTheHead {
                    chain_id: chain.to_owned(),
                    size: seal.size,
                }));
            }
            let found: Option<String> = sqlx::query_scalar(
                "SELECT hash FROM consent_records WHERE chain_id = $1 AND seq = $2",
            )
            .bind(chain)
            .bind(seal.size)
            .fetch_optional(&mut *tx)
            .await?;
            if found.as_deref() != Some(seal.head_hash.as_str()) {
                return Ok(Err(SealRefused::HeadNotFound {
                    chain_id: chain.to_owned(),
                    size: seal.size,
                }));
            }
            // A lineage whose newest record goes, and of which nothing else is left, loses its
            // head row; one with records left elsewhere keeps it (its current state is gone).
            sqlx::query(
                "DELETE FROM receipt_heads WHERE head_chain_id = $1 AND head_seq <= $2 \
                 AND root_id IN ( \
                     SELECT COALESCE(lineage_root, id) FROM consent_records \
                     WHERE chain_id = $1 AND seq > $3 AND seq <= $2) \
                 AND NOT EXISTS ( \
                     SELECT 1 FROM consent_records AS r \
                     WHERE (r.lineage_root = receipt_heads.root_id OR r.id = receipt_heads.root_id) \
                       AND NOT (r.chain_id = $1 AND r.seq <= $2))",
            )
            .bind(chain)
            .bind(seal.size)
            .bind(sealed)
            .execute(&mut *tx)
            .await?;
            let removed = sqlx::query("DELETE FROM consent_records WHERE chain_id = $1 AND seq <= $2")
                .bind(chain)
                .bind(seal.size)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            sqlx::query(&format!(
                "INSERT INTO ledger_seals ({SEAL_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)"
            ))
            .bind(chain)
            .bind(seal.size)
            .bind(&seal.head_hash)
            .bind(seal.sealed_at_ms)
            .bind(&seal.key_id)
            .bind(&seal.note)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(Ok(removed))
        }
    }

    sqlite {
        /// `BEGIN IMMEDIATE`: the write lock before the first read, so what was checked is
        /// what is removed.
        async fn begin_write(conn: &mut Conn) -> Result<sqlx::Transaction<'_, Db>, sqlx::Error> {
            use sqlx::Connection as _;
            conn.begin_with("BEGIN IMMEDIATE").await
        }
    }

    postgres {
        /// Read committed: two prunes of one chain at once cannot both insert one seal (its
        /// primary key), and the head only grows, so nothing read can become false.
        async fn begin_write(conn: &mut Conn) -> Result<sqlx::Transaction<'_, Db>, sqlx::Error> {
            use sqlx::Connection as _;
            conn.begin().await
        }
    }
}
