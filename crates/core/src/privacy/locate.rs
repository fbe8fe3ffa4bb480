//! Finding where a value is written: a `FieldPath` such as `services[3].cookies[1].duration` is
//! resolved against the file parsed a second time into toml's spanned tree, so a problem found on
//! the typed model can name the line and column of the key or value it is about.

use std::fmt;
use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// One step into the document: a table key or an array index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Key(String),
    Index(usize),
}

/// A path from the document root to a key or value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldPath(pub Vec<Step>);

impl FieldPath {
    pub fn root() -> Self {
        FieldPath(Vec::new())
    }
    /// This path extended by a key.
    pub fn key(&self, key: &str) -> Self {
        let mut steps = self.0.clone();
        steps.push(Step::Key(key.to_owned()));
        FieldPath(steps)
    }
    /// This path extended by an array index.
    pub fn index(&self, index: usize) -> Self {
        let mut steps = self.0.clone();
        steps.push(Step::Index(index));
        FieldPath(steps)
    }
    /// The last key of the path, if it ends in one.
    pub fn last_key(&self) -> Option<&str> {
        match self.0.last() {
            Some(Step::Key(key)) => Some(key),
            _ => None,
        }
    }
    /// The path without its last step.
    pub fn parent(&self) -> FieldPath {
        let mut steps = self.0.clone();
        steps.pop();
        FieldPath(steps)
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("the top level");
        }
        for (position, step) in self.0.iter().enumerate() {
            match step {
                Step::Key(key) if position == 0 => f.write_str(key)?,
                Step::Key(key) => write!(f, ".{key}")?,
                Step::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// Whether a problem points at the key (`name = …` → `name`) or at its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Key,
    Value,
}

/// The spanned tree of one source, for turning paths into byte ranges.
pub struct SourceMap<'i> {
    root: Spanned<DeTable<'i>>,
}

impl<'i> SourceMap<'i> {
    pub fn new(root: Spanned<DeTable<'i>>) -> Self {
        SourceMap { root }
    }

    /// Byte range of the key or value at `path`. When the path does not exist in the source
    /// (a defaulted key), the range of the deepest part that does exist.
    pub fn span(&self, path: &FieldPath, target: Target) -> Range<usize> {
        let mut table: &DeTable<'i> = self.root.get_ref();
        let mut value: Option<&Spanned<DeValue<'i>>> = None;
        let mut best = self.root.span().start..self.root.span().start;
        let count = path.0.len();
        for (position, step) in path.0.iter().enumerate() {
            let is_last = position + 1 == count;
            let next = match (step, value) {
                (Step::Key(wanted), _) => {
                    let entry = table
                        .iter()
                        .find(|(key, _)| key.get_ref().as_ref() == wanted);
                    let Some((key, found)) = entry else {
                        return best;
                    };
                    if is_last && target == Target::Key {
                        return key.span();
                    }
                    best = key.span();
                    found
                }
                (Step::Index(index), Some(array_value)) => {
                    let Some(found) = array_value.get_ref().get(*index) else {
                        return best;
                    };
                    found
                }
                (Step::Index(_), None) => return best,
            };
            // Arrays of tables span only their header; keep the better of key and value.
            if !next.span().is_empty() {
                best = next.span();
            }
            if let Some(next_table) = next.get_ref().as_table() {
                table = next_table;
            }
            value = Some(next);
        }
        best
    }

    /// The path of the deepest key, array element or table section containing the byte
    /// `offset`; for naming the table a serde error (such as a missing field) is about.
    pub fn path_at(&self, offset: usize) -> FieldPath {
        let mut path = FieldPath::root();
        let mut table: &DeTable<'i> = self.root.get_ref();
        loop {
            let Some((key, index, inner)) = step_towards(table, offset) else {
                return path;
            };
            path = path.key(key);
            if let Some(index) = index {
                path = path.index(index);
            }
            match inner {
                Some(inner) => table = inner,
                None => return path,
            }
        }
    }
}

type StepInto<'t, 'i> = (&'t str, Option<usize>, Option<&'t DeTable<'i>>);

/// One step from `table` towards `offset`: the entry whose key or value contains it, or else the
/// table section (`[name]`, `[[name]]`) that starts last before it — sections only span their
/// header, their keys follow it.
fn step_towards<'t, 'i>(table: &'t DeTable<'i>, offset: usize) -> Option<StepInto<'t, 'i>> {
    let inside = |span: Range<usize>| span.start <= offset && offset < span.end.max(span.start + 1);
    for (key, value) in table.iter() {
        if !(inside(key.span()) || inside(value.span())) {
            continue;
        }
        let key = key.get_ref().as_ref();
        return Some(match value.get_ref() {
            DeValue::Table(inner) => (key, None, Some(inner)),
            DeValue::Array(items) => match items
                .iter()
                .enumerate()
                .find(|(_, item)| inside(item.span()))
            {
                Some((index, item)) => (key, Some(index), item.get_ref().as_table()),
                None => (key, None, None),
            },
            _ => (key, None, None),
        });
    }
    let mut best: Option<(usize, StepInto<'t, 'i>)> = None;
    let mut consider = |start: usize, step: StepInto<'t, 'i>| {
        if start <= offset
            && best
                .as_ref()
                .is_none_or(|(best_start, _)| start >= *best_start)
        {
            best = Some((start, step));
        }
    };
    for (key, value) in table.iter() {
        let name = key.get_ref().as_ref();
        match value.get_ref() {
            DeValue::Table(inner) => consider(value.span().start, (name, None, Some(inner))),
            DeValue::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    if let Some(inner) = item.get_ref().as_table() {
                        consider(item.span().start, (name, Some(index), Some(inner)));
                    }
                }
            }
            _ => {}
        }
    }
    best.map(|(_, step)| step)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn locate<'a>(source: &'a str, path: &FieldPath, target: Target) -> &'a str {
        let map = SourceMap::new(DeTable::parse(source).unwrap());
        &source[map.span(path, target)]
    }

    #[test]
    fn paths_display_like_the_file() {
        let path = FieldPath::root()
            .key("services")
            .index(3)
            .key("cookies")
            .index(1)
            .key("duration");
        assert_eq!(path.to_string(), "services[3].cookies[1].duration");
    }

    #[test]
    fn finds_keys_and_values_in_arrays_of_tables() {
        let source = "[[services]]\nid = \"a\"\n[[services]]\nid = \"b\"\n\n[[services.cookies]]\nduration = \"2 moons\"\n";
        let services = FieldPath::root().key("services");
        let duration = services.index(1).key("cookies").index(0).key("duration");
        assert_eq!(locate(source, &duration, Target::Value), "\"2 moons\"");
        assert_eq!(locate(source, &duration, Target::Key), "duration");
        assert_eq!(
            locate(source, &services.index(1).key("id"), Target::Value),
            "\"b\""
        );
    }

    #[test]
    fn offsets_map_back_to_paths() {
        let source =
            "[[services]]\nid = \"a\"\n[[services]]\nid = \"b\"\nprovider = { name = \"x\" }\n";
        let map = SourceMap::new(DeTable::parse(source).unwrap());
        let offset = source.find("name").unwrap();
        assert_eq!(map.path_at(offset).to_string(), "services[1].provider.name");
        let header = source.rfind("[[services]]").unwrap();
        assert_eq!(map.path_at(header).to_string(), "services[1]");
        let id = source.rfind("\"b\"").unwrap();
        assert_eq!(map.path_at(id).to_string(), "services[1].id");
    }

    #[test]
    fn missing_parts_fall_back_to_what_exists() {
        let source = "[organisation]\nname = \"x\"\n";
        let path = FieldPath::root().key("organisation").key("dpo");
        assert!(locate(source, &path, Target::Key).contains("organisation"));
    }
}
