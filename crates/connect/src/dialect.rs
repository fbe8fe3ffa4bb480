//! SQL text per engine: identifier quoting, placeholders and the text cast. Statements are built
//! as text plus a list of bound values ([`Sql`]); a value is never spliced into the text, and an
//! identifier only after it passed the spec's plain-identifier rule (quoted on top, so a reserved
//! word such as `order` still works).

use crate::SqlEngine;

/// A value bound to a placeholder.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Param {
    Text(String),
    Int(i64),
}

/// A statement under construction: text and its bound values, in order.
#[derive(Debug, Clone)]
pub struct Sql {
    pub engine: SqlEngine,
    pub text: String,
    pub params: Vec<Param>,
}

impl Sql {
    pub fn new(engine: SqlEngine) -> Sql {
        Sql {
            engine,
            text: String::new(),
            params: Vec::new(),
        }
    }

    /// Appends SQL text written in this crate (never data).
    pub fn push(&mut self, text: &str) -> &mut Sql {
        self.text.push_str(text);
        self
    }

    /// Appends a quoted identifier from a validated spec.
    pub fn ident(&mut self, name: &str) -> &mut Sql {
        self.text.push_str(&quote(self.engine, name));
        self
    }

    /// Appends `CAST(<ident> AS TEXT)` in the engine's spelling, so that every type is read and
    /// exported the same way.
    pub fn ident_as_text(&mut self, name: &str) -> &mut Sql {
        let target = text_type(self.engine);
        let quoted = quote(self.engine, name);
        self.text.push_str(&format!("CAST({quoted} AS {target})"));
        self
    }

    /// Appends a placeholder and binds `value` to it.
    pub fn bind(&mut self, value: Param) -> &mut Sql {
        self.params.push(value);
        self.text
            .push_str(&placeholder(self.engine, self.params.len()));
        self
    }
}

/// The type every value is read as text through: `CHAR` on MySQL, `TEXT` elsewhere.
pub(crate) fn text_type(engine: SqlEngine) -> &'static str {
    match engine {
        SqlEngine::Mysql => "CHAR",
        SqlEngine::Postgres | SqlEngine::Sqlite => "TEXT",
    }
}

/// `name` quoted for `engine`: backticks on MySQL, double quotes elsewhere. The spec's rule
/// already excludes quote characters; doubling them anyway keeps this safe on its own.
pub fn quote(engine: SqlEngine, name: &str) -> String {
    match engine {
        SqlEngine::Mysql => format!("`{}`", name.replace('`', "``")),
        SqlEngine::Postgres | SqlEngine::Sqlite => format!("\"{}\"", name.replace('"', "\"\"")),
    }
}

/// The `n`th (1-based) placeholder: `$n` on PostgreSQL and SQLite, `?` on MySQL.
pub fn placeholder(engine: SqlEngine, n: usize) -> String {
    match engine {
        SqlEngine::Mysql => "?".to_owned(),
        SqlEngine::Postgres | SqlEngine::Sqlite => format!("${n}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_and_quotes_per_engine() {
        let mut sql = Sql::new(SqlEngine::Postgres);
        sql.push("SELECT ")
            .ident("a")
            .push(" WHERE x = ")
            .bind(Param::Int(1));
        sql.push(" AND y = ").bind(Param::Text("v".into()));
        assert_eq!(sql.text, r#"SELECT "a" WHERE x = $1 AND y = $2"#);
        let mut sql = Sql::new(SqlEngine::Mysql);
        sql.ident("a")
            .push(" = ")
            .bind(Param::Int(1))
            .push(", ")
            .bind(Param::Int(2));
        assert_eq!(sql.text, "`a` = ?, ?");
        assert_eq!(quote(SqlEngine::Sqlite, "a\"b"), "\"a\"\"b\"");
        assert_eq!(quote(SqlEngine::Mysql, "a`b"), "`a``b`");
    }
}
