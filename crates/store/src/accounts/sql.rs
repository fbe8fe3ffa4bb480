//! The statements of the console's accounts, sessions and failed sign-ins.

crate::backend::per_backend! {
    use sqlx::Row as _;

    use crate::accounts::{Account, OidcPending, Session, role_of, secret_of, stage_of};
    use crate::error::StoreError;

    const ACCOUNT_COLUMNS: &str = "name, role, password_hash, totp_secret, totp_last_step, \
        disabled, created_ms, changed_ms";

    const SESSION_COLUMNS: &str =
        "token_hash, account, stage, csrf_token, created_ms, last_seen_ms, prefix";

    fn account_from(r: &<Db as sqlx::Database>::Row) -> Result<Account, StoreError> {
        let name: String = r.try_get("name")?;
        Ok(Account {
            role: role_of(&name, &r.try_get::<String, _>("role")?)?,
            password_hash: r.try_get("password_hash")?,
            totp_secret: secret_of(&name, r.try_get("totp_secret")?)?,
            totp_last_step: r.try_get("totp_last_step")?,
            disabled: r.try_get("disabled")?,
            created_ms: r.try_get("created_ms")?,
            changed_ms: r.try_get("changed_ms")?,
            name,
        })
    }

    fn session_from(r: &<Db as sqlx::Database>::Row) -> Result<Session, StoreError> {
        let account: String = r.try_get("account")?;
        Ok(Session {
            token_hash: r.try_get("token_hash")?,
            stage: stage_of(&account, &r.try_get::<String, _>("stage")?)?,
            csrf_token: r.try_get("csrf_token")?,
            created_ms: r.try_get("created_ms")?,
            last_seen_ms: r.try_get("last_seen_ms")?,
            prefix: r.try_get("prefix")?,
            account,
        })
    }

    pub async fn insert_account(pool: &Pool, a: &Account) -> Result<bool, StoreError> {
        let done = sqlx::query(&format!(
            "INSERT INTO console_accounts ({ACCOUNT_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (name) DO NOTHING"
        ))
        .bind(&a.name)
        .bind(a.role.as_str())
        .bind(&a.password_hash)
        .bind(a.totp_secret.as_ref().map(hex::encode))
        .bind(a.totp_last_step)
        .bind(a.disabled)
        .bind(a.created_ms)
        .bind(a.changed_ms)
        .execute(pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn account(pool: &Pool, name: &str) -> Result<Option<Account>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM console_accounts WHERE name = $1"
        ))
        .bind(name)
        .fetch_optional(pool)
        .await?;
        row.as_ref().map(account_from).transpose()
    }

    pub async fn accounts(pool: &Pool) -> Result<Vec<Account>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM console_accounts ORDER BY name"
        ))
        .fetch_all(pool)
        .await?;
        rows.iter().map(account_from).collect()
    }

    /// Runs `update` (which binds `$1` to the name) and, when it changed the account, ends
    /// its sessions, in one transaction.
    async fn update_ending_sessions<'q>(
        pool: &Pool,
        update: sqlx::query::Query<'q, Db, <Db as sqlx::Database>::Arguments<'q>>,
        name: &str,
        end_sessions: bool,
    ) -> Result<bool, StoreError> {
        let mut tx = pool.begin().await?;
        let changed = update.execute(&mut *tx).await?.rows_affected() == 1;
        if changed && end_sessions {
            sqlx::query("DELETE FROM console_sessions WHERE account = $1")
                .bind(name)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(changed)
    }

    pub async fn set_password(
        pool: &Pool,
        name: &str,
        hash: &str,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let update = sqlx::query(
            "UPDATE console_accounts SET password_hash = $2, changed_ms = $3 WHERE name = $1",
        )
        .bind(name)
        .bind(hash)
        .bind(now_ms);
        update_ending_sessions(pool, update, name, true).await
    }

    pub async fn set_disabled(
        pool: &Pool,
        name: &str,
        disabled: bool,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let update = sqlx::query(
            "UPDATE console_accounts SET disabled = $2, changed_ms = $3 WHERE name = $1",
        )
        .bind(name)
        .bind(disabled)
        .bind(now_ms);
        update_ending_sessions(pool, update, name, disabled).await
    }

    pub async fn set_totp(
        pool: &Pool,
        name: &str,
        secret: Option<&str>,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let update = sqlx::query(
            "UPDATE console_accounts SET totp_secret = $2, totp_last_step = NULL, \
             changed_ms = $3 WHERE name = $1",
        )
        .bind(name)
        .bind(secret)
        .bind(now_ms);
        update_ending_sessions(pool, update, name, false).await
    }

    pub async fn use_totp_step(pool: &Pool, name: &str, step: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE console_accounts SET totp_last_step = $2 \
             WHERE name = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)",
        )
        .bind(name)
        .bind(step)
        .execute(pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn insert_session(pool: &Pool, s: &Session) -> Result<(), StoreError> {
        sqlx::query(&format!(
            "INSERT INTO console_sessions ({SESSION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        ))
        .bind(&s.token_hash)
        .bind(&s.account)
        .bind(s.stage.as_str())
        .bind(&s.csrf_token)
        .bind(s.created_ms)
        .bind(s.last_seen_ms)
        .bind(s.prefix.as_deref())
        .execute(pool)
        .await?;
        Ok(())
    }

    pub async fn session(pool: &Pool, token_hash: &str) -> Result<Option<Session>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {SESSION_COLUMNS} FROM console_sessions WHERE token_hash = $1"
        ))
        .bind(token_hash)
        .fetch_optional(pool)
        .await?;
        row.as_ref().map(session_from).transpose()
    }

    pub async fn touch_session(pool: &Pool, token_hash: &str, now_ms: i64) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE console_sessions SET last_seen_ms = $2 \
             WHERE token_hash = $1 AND last_seen_ms < $2",
        )
        .bind(token_hash)
        .bind(now_ms)
        .execute(pool)
        .await?;
        Ok(())
    }

    pub async fn end_session(pool: &Pool, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM console_sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(pool)
            .await?;
        Ok(())
    }

    pub async fn end_sessions_of(pool: &Pool, account: &str) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM console_sessions WHERE account = $1")
            .bind(account)
            .execute(pool)
            .await?;
        Ok(done.rows_affected())
    }

    pub async fn record_failure(pool: &Pool, keys: &[String], at_ms: i64) -> Result<(), StoreError> {
        let mut tx = pool.begin().await?;
        for key in keys {
            sqlx::query("INSERT INTO console_sign_in_failures (key, at_ms) VALUES ($1, $2)")
                .bind(key)
                .bind(at_ms)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn failures_since(pool: &Pool, key: &str, since_ms: i64) -> Result<u32, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM console_sign_in_failures WHERE key = $1 AND at_ms >= $2",
        )
        .bind(key)
        .bind(since_ms)
        .fetch_one(pool)
        .await?;
        let n: i64 = row.try_get("n")?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    pub async fn insert_oidc(pool: &Pool, p: &OidcPending) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO console_oidc_pending (state_hash, nonce, verifier, lang, created_ms) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&p.state_hash)
        .bind(&p.nonce)
        .bind(&p.verifier)
        .bind(&p.lang)
        .bind(p.created_ms)
        .execute(pool)
        .await?;
        Ok(())
    }

    pub async fn take_oidc(pool: &Pool, state_hash: &str) -> Result<Option<OidcPending>, StoreError> {
        let row = sqlx::query(
            "DELETE FROM console_oidc_pending WHERE state_hash = $1 \
             RETURNING state_hash, nonce, verifier, lang, created_ms",
        )
        .bind(state_hash)
        .fetch_optional(pool)
        .await?;
        row.map(|r| {
            Ok(OidcPending {
                state_hash: r.try_get("state_hash")?,
                nonce: r.try_get("nonce")?,
                verifier: r.try_get("verifier")?,
                lang: r.try_get("lang")?,
                created_ms: r.try_get("created_ms")?,
            })
        })
        .transpose()
    }

    pub async fn prune(
        pool: &Pool,
        failures_before_ms: i64,
        sessions_seen_before_ms: i64,
    ) -> Result<u64, StoreError> {
        let failures = sqlx::query("DELETE FROM console_sign_in_failures WHERE at_ms < $1")
            .bind(failures_before_ms)
            .execute(pool)
            .await?
            .rows_affected();
        let sessions = sqlx::query("DELETE FROM console_sessions WHERE last_seen_ms < $1")
            .bind(sessions_seen_before_ms)
            .execute(pool)
            .await?
            .rows_affected();
        let pending = sqlx::query("DELETE FROM console_oidc_pending WHERE created_ms < $1")
            .bind(failures_before_ms)
            .execute(pool)
            .await?
            .rows_affected();
        Ok(failures + sessions + pending)
    }
}
