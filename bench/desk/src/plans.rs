//! The statements a request issues and how the engine runs them. `kapsel_connect` does not expose
//! its SQL, so instead of rebuilding it from select.rs this listens to what sqlx itself logs for
//! every statement it runs (target `sqlx::query`, the full text) — for the library and the
//! baseline alike. On PostgreSQL the plan pass's connections also load `auto_explain` with
//! `log_analyze` at NOTICE level, so each statement's plan as it actually ran (with its real
//! values, row counts and buffers) comes back as a notice on the same connection; on SQLite each
//! distinct statement is given to `EXPLAIN QUERY PLAN` afterwards. Listening is off, and costs one
//! atomic load per statement, while requests are timed.

use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Result;
use sqlx::Row as _;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Metadata};

use crate::shop::Pool;

/// What the plan pass's PostgreSQL connections run first.
pub const AUTO_EXPLAIN: &[&str] = &[
    "LOAD 'auto_explain'",
    "SET auto_explain.log_min_duration = 0",
    "SET auto_explain.log_analyze = on",
    "SET auto_explain.log_buffers = on",
    "SET auto_explain.log_level = notice",
];

/// One thing sqlx logged.
#[derive(Debug, Clone)]
enum Logged {
    Statement(String),
    Notice(String),
}

static ON: AtomicBool = AtomicBool::new(false);
static LOG: Mutex<Vec<Logged>> = Mutex::new(Vec::new());

fn watched(target: &str) -> bool {
    target == "sqlx::query" || target == "sqlx::postgres::notice"
}

/// The process's only tracing subscriber: it keeps sqlx's statement and notice events while
/// [`ON`] is set and ignores everything else.
struct Tap;

#[derive(Default)]
struct Fields {
    summary: String,
    statement: String,
    message: String,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "summary" => self.summary = value.to_owned(),
            "db.statement" => self.statement = value.to_owned(),
            "message" => self.message = value.to_owned(),
            _ => {}
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" && self.message.is_empty() {
            self.message = format!("{value:?}");
        }
    }
}

impl tracing::Subscriber for Tap {
    fn register_callsite(&self, meta: &'static Metadata<'static>) -> Interest {
        if watched(meta.target()) {
            Interest::sometimes()
        } else {
            Interest::never()
        }
    }
    fn enabled(&self, meta: &Metadata<'_>) -> bool {
        watched(meta.target()) && ON.load(Ordering::Relaxed)
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let logged = if event.metadata().target() == "sqlx::query" {
            let text = fields.statement.trim();
            Logged::Statement(if text.is_empty() {
                fields.summary
            } else {
                text.to_owned()
            })
        } else {
            Logged::Notice(fields.message)
        };
        LOG.lock().unwrap_or_else(|e| e.into_inner()).push(logged);
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

pub fn install() -> Result<()> {
    tracing::subscriber::set_global_default(Tap)
        .map_err(|e| anyhow::anyhow!("installing the statement listener: {e}"))
}

/// One request as the plan pass saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub label: String,
    /// Every SQL statement run, in order (BEGIN/COMMIT excluded).
    pub statements: Vec<String>,
    /// Each distinct statement with its plan, in first-run order.
    pub plans: Vec<(String, String)>,
}

impl Seen {
    /// Whether any plan reads a whole shop table.
    pub fn full_scans(&self) -> Vec<String> {
        self.plans
            .iter()
            .flat_map(|(_, plan)| access_paths(plan))
            .filter(|p| {
                p.starts_with("Seq Scan") || (p.starts_with("SCAN ") && !p.contains("CONSTANT"))
            })
            .collect()
    }
}

/// Runs `request` with listening on and returns its result and what it ran; on PostgreSQL the
/// plans come from auto_explain's notices, on SQLite from `EXPLAIN QUERY PLAN` on `pool`.
pub async fn observe<T, F>(label: &str, pool: &Pool, request: F) -> Result<(T, Seen)>
where
    F: Future<Output = Result<T>>,
{
    LOG.lock().unwrap_or_else(|e| e.into_inner()).clear();
    ON.store(true, Ordering::SeqCst);
    let result = request.await;
    // SQLite's worker thread logs a statement as it finishes it, which may be just after its
    // answer reached us.
    tokio::time::sleep(Duration::from_millis(50)).await;
    ON.store(false, Ordering::SeqCst);
    let result = result?;
    let logged = std::mem::take(&mut *LOG.lock().unwrap_or_else(|e| e.into_inner()));
    let statements: Vec<String> = logged
        .iter()
        .filter_map(|l| match l {
            Logged::Statement(s) if is_data_statement(s) => Some(s.clone()),
            _ => None,
        })
        .collect();
    let mut plans: Vec<(String, String)> = Vec::new();
    match pool {
        Pool::Pg(_) => {
            for l in &logged {
                if let Logged::Notice(n) = l
                    && let Some((text, plan)) = auto_explain_notice(n)
                    && !plans.iter().any(|(t, _)| *t == text)
                {
                    plans.push((text, plan));
                }
            }
        }
        Pool::Lite(p) => {
            for text in &statements {
                if plans.iter().any(|(t, _)| t == text) {
                    continue;
                }
                let sql = format!("EXPLAIN QUERY PLAN {text}");
                let mut query = sqlx::query(&sql);
                for _ in 0..parameters(text) {
                    query = query.bind(None::<String>);
                }
                let mut lines: Vec<(i64, i64, String)> = Vec::new();
                for row in query.fetch_all(p).await? {
                    lines.push((row.try_get(0)?, row.try_get(1)?, row.try_get(3)?));
                }
                plans.push((text.clone(), sqlite_tree(&lines)));
            }
        }
    }
    Ok((
        result,
        Seen {
            label: label.to_owned(),
            statements,
            plans,
        },
    ))
}

fn is_data_statement(sql: &str) -> bool {
    let head = sql.trim_start().to_ascii_uppercase();
    ["SELECT", "UPDATE", "DELETE", "INSERT", "WITH"]
        .iter()
        .any(|k| head.starts_with(k))
}

/// The highest `$n` in `sql`: how many values it binds.
fn parameters(sql: &str) -> usize {
    sql.split('$')
        .skip(1)
        .filter_map(|rest| {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            digits.parse::<usize>().ok()
        })
        .max()
        .unwrap_or(0)
}

/// "duration: … ms  plan:\nQuery Text: …\n<plan>" → (text, "duration …\n<plan>").
fn auto_explain_notice(notice: &str) -> Option<(String, String)> {
    let (head, rest) = notice.split_once("Query Text: ")?;
    let (text, plan) = rest.split_once('\n')?;
    let duration = head.trim().trim_end_matches("plan:").trim();
    Some((
        text.trim().to_owned(),
        format!("{duration}\n{}", plan.trim_end()),
    ))
}

/// EXPLAIN QUERY PLAN's rows as an indented tree.
fn sqlite_tree(rows: &[(i64, i64, String)]) -> String {
    fn depth(rows: &[(i64, i64, String)], parent: i64) -> usize {
        match rows.iter().find(|(id, _, _)| *id == parent) {
            Some((_, grand, _)) if parent != 0 => 1 + depth(rows, *grand),
            _ => 0,
        }
    }
    rows.iter()
        .map(|(_, parent, detail)| format!("{}{detail}", "  ".repeat(depth(rows, *parent))))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The lines of a plan that say how a table is reached: PostgreSQL's scan nodes, SQLite's
/// SEARCH/SCAN lines.
pub fn access_paths(plan: &str) -> Vec<String> {
    plan.lines()
        .map(|l| l.trim().trim_start_matches("->").trim())
        .filter(|l| l.contains("Scan ") || l.starts_with("SEARCH ") || l.starts_with("SCAN "))
        .map(|l| l.split("  (").next().unwrap_or(l).trim().to_owned())
        .collect()
}

/// "SELECT orders", "UPDATE customers": the verb and the first table a statement names.
pub fn short(sql: &str) -> String {
    let words: Vec<&str> = sql.split_whitespace().collect();
    let verb = words.first().copied().unwrap_or("").to_ascii_uppercase();
    let after = |key: &str| {
        words
            .iter()
            .position(|w| w.eq_ignore_ascii_case(key))
            .and_then(|i| words.get(i + 1))
            .map(|w| w.trim_matches('"').to_owned())
    };
    let table = match verb.as_str() {
        "UPDATE" => words.get(1).map(|w| w.trim_matches('"').to_owned()),
        _ => after("FROM"),
    };
    format!("{verb} {}", table.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_are_read_for_their_shape() {
        assert_eq!(parameters("SELECT 1 WHERE a = $1 OR b = $12 OR c = $3"), 12);
        assert_eq!(parameters("SELECT 1"), 0);
        assert_eq!(
            short(r#"SELECT "id", CAST("sku" AS TEXT) FROM "order_lines" WHERE x"#),
            "SELECT order_lines"
        );
        assert_eq!(short(r#"UPDATE "customers" SET a = 1"#), "UPDATE customers");
        assert_eq!(
            short("DELETE FROM support_tickets WHERE"),
            "DELETE support_tickets"
        );
        let (text, plan) = auto_explain_notice(
            "duration: 0.050 ms  plan:\nQuery Text: SELECT 1\nResult  (cost=0.00..0.01 rows=1 width=4)",
        )
        .unwrap_or_default();
        assert_eq!(text, "SELECT 1");
        assert_eq!(
            plan,
            "duration: 0.050 ms\nResult  (cost=0.00..0.01 rows=1 width=4)"
        );
        assert_eq!(
            access_paths(
                "Nested Loop\n  ->  Index Scan using orders_customer_id on orders  (cost=1)\nSEARCH c USING INDEX x (email=?)"
            ),
            [
                "Index Scan using orders_customer_id on orders",
                "SEARCH c USING INDEX x (email=?)"
            ]
        );
    }
}
