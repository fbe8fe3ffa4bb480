//! Loading a privacy file: TOML syntax, then the typed model (collecting every unknown key rather
//! than stopping at the first), then the semantic checks in `validate`. Every problem carries
//! file:line:column and a hint. Nothing half-valid is returned: either a whole `PrivacyFile` or
//! all its problems.

use toml::de::{DeTable, Deserializer};

use super::known_keys::suggestion;
use super::load_parts::read_parts;
use super::locate::{FieldPath, SourceMap, Step, Target};
use super::model::PrivacyFile;
use super::problem::{Problem, Problems, line_column};
use super::validate::{self, PathProblem};

/// Parses and validates `source`; `file_name` is used in the problems' positions.
pub fn load(source: &str, file_name: &str) -> Result<PrivacyFile, Problems> {
    let place = |offset: usize, message: String, hint: String| {
        let (line, column) = line_column(source, offset);
        Problem {
            file: file_name.to_owned(),
            line,
            column,
            message,
            hint,
        }
    };

    let tree = match DeTable::parse(source) {
        Ok(tree) => tree,
        Err(error) => {
            let offset = error.span().map_or(0, |span| span.start);
            return Err(Problems(vec![place(
                offset,
                format!("invalid TOML: {}", error.message()),
                "fix the TOML syntax at this position (strings need double quotes, tables \
                 `[name]`, lists of tables `[[name]]`)"
                    .to_owned(),
            )]));
        }
    };
    let map = SourceMap::new(tree.clone());
    let parts = read_parts(&tree);

    let mut unknown: Vec<FieldPath> = Vec::new();
    let parsed: Result<PrivacyFile, toml::de::Error> =
        serde_ignored::deserialize(Deserializer::from(parts.patched.clone()), |path| {
            unknown.push(field_path(&path));
        });

    let mut findings: Vec<PathProblem> = unknown
        .iter()
        .map(|path| validate::unknown_key(parts.original(path)))
        .collect();
    let mut problems: Vec<Problem> = Vec::new();
    let type_error = |offset: usize, message: &str| {
        let within = map.path_at(offset);
        let text = if within.0.is_empty() {
            format!("{message} at the top level")
        } else {
            format!("{message} in {within}")
        };
        place(offset, text, type_hint(message))
    };
    for (offset, message) in &parts.errors {
        problems.push(type_error(*offset, message));
    }
    let file = match parsed {
        Ok(file) => Some(file),
        Err(error) => {
            let offset = error.span().map_or(0, |span| span.start);
            problems.push(type_error(offset, error.message()));
            None
        }
    };
    if let Some(file) = &file {
        let line_of = |path: &FieldPath| {
            line_column(source, map.span(&parts.original(path), Target::Value).start).0
        };
        for mut finding in validate::validate(file, &line_of) {
            // A reference to an element that could not be read is not a second problem.
            let about_failed = parts.failed_ids.iter().any(|id| {
                finding
                    .message
                    .contains(&format!("`{id}`, which is not declared"))
            }) || (parts.left_out("sites")
                && finding.message == "no sites are declared");
            if about_failed {
                continue;
            }
            finding.path = parts.original(&finding.path);
            findings.push(finding);
        }
    }
    for finding in findings {
        let offset = map.span(&finding.path, finding.target).start;
        problems.push(place(offset, finding.message, finding.hint));
    }

    match file {
        Some(file) if problems.is_empty() && !parts.incomplete() => Ok(file),
        _ => {
            problems.sort_by_key(|problem| (problem.line, problem.column));
            problems.dedup();
            Err(Problems(problems))
        }
    }
}

/// The warnings about a file that loaded (`privacy::warnings`, judged with `catalogue`), placed
/// in `source` like problems, in file order; each message starts with "warning: ".
pub fn warnings_in(
    source: &str,
    file_name: &str,
    file: &PrivacyFile,
    catalogue: &crate::catalogue::Catalogue,
) -> Vec<Problem> {
    let Ok(tree) = DeTable::parse(source) else {
        return Vec::new();
    };
    let map = SourceMap::new(tree);
    let mut found: Vec<Problem> = super::warnings::warnings(file, catalogue)
        .into_iter()
        .map(|warning| {
            let (line, column) = line_column(source, map.span(&warning.path, warning.target).start);
            Problem {
                file: file_name.to_owned(),
                line,
                column,
                message: format!("warning: {}", warning.message),
                hint: warning.hint,
            }
        })
        .collect();
    found.sort_by_key(|problem| (problem.line, problem.column));
    found
}

/// A hint for the type errors serde reports while reading the model.
fn type_hint(message: &str) -> String {
    if message.starts_with("cannot read duration") {
        super::duration::DURATION_GRAMMAR.to_owned()
    } else if message.starts_with("missing field") {
        "add the field; see docs/privacy-file.md for what it holds".to_owned()
    } else if message.starts_with("unknown variant") {
        variant_hint(message)
    } else if message.starts_with("invalid type") {
        "write the value with the type named in the message (texts are tables like \
         `{ nb = \"…\", nn = \"…\", en = \"…\" }`, lists are `[…]`)"
            .to_owned()
    } else {
        "see docs/privacy-file.md for this key".to_owned()
    }
}

/// "did you mean `sccs`?" for serde's "unknown variant `scc`, expected one of `adequacy`,
/// `sccs`, …", as unknown keys get; else the plain advice.
fn variant_hint(message: &str) -> String {
    let quoted: Vec<&str> = message.split('`').skip(1).step_by(2).collect();
    let suggestion = match quoted.split_first() {
        Some((unknown, expected)) => suggestion(unknown, expected),
        None => None,
    };
    match suggestion {
        Some(value) => format!("did you mean `{value}`?"),
        None => "use one of the values listed in the message".to_owned(),
    }
}

fn field_path(path: &serde_ignored::Path<'_>) -> FieldPath {
    use serde_ignored::Path;
    match path {
        Path::Root => FieldPath::root(),
        Path::Seq { parent, index } => {
            let mut steps = field_path(parent);
            steps.0.push(Step::Index(*index));
            steps
        }
        Path::Map { parent, key } => {
            let mut steps = field_path(parent);
            steps.0.push(Step::Key(key.clone()));
            steps
        }
        Path::Some { parent }
        | Path::NewtypeStruct { parent }
        | Path::NewtypeVariant { parent } => field_path(parent),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = r#"languages = ["en"]

[organisation]
name = "Example AS"
org_number = "999 888 771"
address = "Storgata 1, 0101 Oslo"
country = "NO"
email = "personvern@example.no"

[[sites]]
id = "www"
name = "Example"
domains = ["localhost"]
"#;

    #[test]
    fn a_small_file_loads() {
        let file = load(SMALL, "small.toml").unwrap();
        assert_eq!(file.sites[0].id, "www");
        assert_eq!(file.categories_with_necessary()[0].id, "necessary");
    }

    #[test]
    fn every_unknown_key_is_reported_with_its_position() {
        let source = SMALL.replace("country = \"NO\"", "contry = \"NO\"\ncountry = \"NO\"")
            + "colour = \"blue\"\n";
        let problems = load(&source, "small.toml").unwrap_err();
        let shown: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
        assert_eq!(shown.len(), 2, "{shown:#?}");
        assert!(
            shown[0].starts_with("small.toml:7:1: unknown key `contry` in organisation"),
            "{shown:#?}"
        );
        assert!(
            shown[1].starts_with("small.toml:15:1: unknown key `colour` in sites[0]"),
            "{shown:#?}"
        );
    }

    #[test]
    fn syntax_errors_have_a_position() {
        let problems = load("languages = [\"en\"\n", "bad.toml").unwrap_err();
        assert_eq!(problems.len(), 1);
        assert!(
            problems.0[0].message.starts_with("invalid TOML"),
            "{problems}"
        );
    }
}
