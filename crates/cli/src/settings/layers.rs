//! The settings layers as TOML tables: reading the settings file (its errors name
//! file:line:column), checking a layer against [`Settings`], setting one key, and merging a
//! layer over those below it.

use std::path::Path;

use anyhow::Context;
use serde::Serialize;
use toml::{Table, Value};

use super::{Settings, store};

/// Reads and checks a settings file.
pub fn read_file(path: &Path) -> anyhow::Result<Table> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the settings file {}", path.display()))?;
    parse_file(&text, &path.display().to_string())
}

/// Checks `text` against [`Settings`] (unknown keys and wrong types are errors at
/// `name:line:column`) and returns it as a layer.
pub fn parse_file(text: &str, name: &str) -> anyhow::Result<Table> {
    let located = |error: toml::de::Error| {
        let position = error
            .span()
            .map(|span| {
                let before = text.get(..span.start).unwrap_or("");
                let line = before.matches('\n').count() + 1;
                let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
                format!("{name}:{line}:{column}")
            })
            .unwrap_or_else(|| name.to_owned());
        anyhow::anyhow!("{position}: {}", error.message())
    };
    toml::from_str::<Settings>(text).map_err(located)?;
    let table: Table = toml::from_str(text).map_err(located)?;
    store::check_one_backend(&table, name)?;
    Ok(table)
}

/// Checks a layer on its own against [`Settings`]; the error is serde's message.
pub fn check(layer: &Table) -> Result<(), String> {
    Value::Table(layer.clone())
        .try_into::<Settings>()
        .map(drop)
        .map_err(|error| error.message().to_owned())
}

/// Sets `path` (section, key…) to `value` in `layer` when `value` is `Some`; how a command turns
/// its parsed flags into a layer.
pub fn put<T: Serialize>(layer: &mut Table, path: &[&str], value: Option<T>) -> anyhow::Result<()> {
    if let Some(value) = value {
        let value = Value::try_from(value)
            .with_context(|| format!("cannot write the setting {}", path.join(".")))?;
        set(layer, path, value);
    }
    Ok(())
}

/// Sets `path` to `value`, creating (or replacing with) tables on the way.
pub fn set(layer: &mut Table, path: &[&str], value: Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut table = layer;
    for part in parents {
        let entry = table
            .entry((*part).to_owned())
            .or_insert_with(|| Value::Table(Table::new()));
        if !entry.is_table() {
            *entry = Value::Table(Table::new());
        }
        let Value::Table(inner) = entry else {
            return;
        };
        table = inner;
    }
    table.insert((*last).to_owned(), value);
}

/// Merges `top` over `base`: tables key by key, anything else replaced. A layer that names
/// where the store is replaces the store location of the layers below (see [`store`]).
pub fn merge(base: &mut Table, top: Table) {
    store::supersede(base, &top);
    merge_tables(base, top);
}

fn merge_tables(base: &mut Table, top: Table) {
    for (key, value) in top {
        match (base.get_mut(&key), value) {
            (Some(Value::Table(below)), Value::Table(above)) => merge_tables(below, above),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_and_merge_work_key_by_key() {
        let mut base = Table::new();
        set(&mut base, &["listen", "public"], Value::String("a".into()));
        set(&mut base, &["listen", "ops"], Value::String("b".into()));
        let mut top = Table::new();
        set(&mut top, &["listen", "public"], Value::String("c".into()));
        merge(&mut base, top);
        assert_eq!(base.to_string(), "[listen]\nops = \"b\"\npublic = \"c\"\n");
    }
}
