//! What the summary says, decided from the privacy file and the found rows alone: which tables
//! held rows and which declared fields they are, and which processing activities those fields
//! serve (a field's `activity` in `[[datasets]]`). Only those activities are described, in the
//! file's order, each with what the file says of it and nothing it does not say.

use kapsel_core::Lang;
use kapsel_core::desk::TableRows;
use kapsel_core::privacy::{Activity, FieldSpec, PrivacyFile};

use super::BundleInput;

/// One declared field of a table that held rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundField {
    pub column: String,
    /// The data category the declaration gives it; `None` for a column it does not declare.
    pub category: Option<String>,
    pub activity: Option<String>,
}

/// One searched table, with or without rows.
#[derive(Debug, Clone, PartialEq)]
pub struct FoundTable<'a> {
    pub dataset: &'a str,
    pub rows: &'a TableRows,
    pub fields: Vec<FoundField>,
}

/// The fields of a found table that serve one activity.
#[derive(Debug, Clone, PartialEq)]
pub struct ServedBy<'a> {
    pub dataset: &'a str,
    pub table: &'a str,
    pub fields: Vec<&'a FoundField>,
}

/// An activity to describe, with the found fields that serve it.
#[derive(Debug, Clone, PartialEq)]
pub struct ServedActivity<'a> {
    pub activity: &'a Activity,
    pub served_by: Vec<ServedBy<'a>>,
}

fn field_spec<'f>(
    file: &'f PrivacyFile,
    dataset: &str,
    table: &str,
    column: &str,
) -> Option<&'f FieldSpec> {
    file.datasets
        .iter()
        .find(|d| d.id == dataset)?
        .table(table)?
        .fields
        .get(column)
}

/// Every searched table in the order of the results, each with its declared fields.
pub fn found_tables<'a>(input: &BundleInput<'a>) -> Vec<FoundTable<'a>> {
    input
        .datasets
        .iter()
        .flat_map(|result| {
            result.tables.iter().map(move |rows| FoundTable {
                dataset: result.dataset.as_str(),
                rows,
                fields: rows
                    .columns
                    .iter()
                    .map(|column| {
                        let spec = field_spec(input.file, &result.dataset, &rows.table, column);
                        FoundField {
                            column: column.clone(),
                            category: spec.map(|s| s.category.clone()),
                            activity: spec.map(|s| s.activity.clone()),
                        }
                    })
                    .collect(),
            })
        })
        .collect()
}

/// The activities the fields of tables with rows serve, in the file's order.
pub fn served_activities<'a>(
    file: &'a PrivacyFile,
    tables: &'a [FoundTable<'a>],
) -> Vec<ServedActivity<'a>> {
    file.activities
        .iter()
        .filter_map(|activity| {
            let served_by: Vec<ServedBy<'a>> = tables
                .iter()
                .filter(|t| !t.rows.rows.is_empty())
                .filter_map(|t| {
                    let fields: Vec<&FoundField> = t
                        .fields
                        .iter()
                        .filter(|f| f.activity.as_deref() == Some(activity.id.as_str()))
                        .collect();
                    (!fields.is_empty()).then_some(ServedBy {
                        dataset: t.dataset,
                        table: t.rows.table.as_str(),
                        fields,
                    })
                })
                .collect();
            (!served_by.is_empty()).then_some(ServedActivity {
                activity,
                served_by,
            })
        })
        .collect()
}

/// The language the summary is written in: the requested one when the file declares it, else
/// the file's first (its texts are complete only in declared languages).
pub fn summary_lang(file: &PrivacyFile, lang: &Lang) -> Lang {
    match file.declared_language(lang.as_str()) {
        Some(declared) => declared.clone(),
        None => file
            .languages
            .first()
            .cloned()
            .unwrap_or_else(|| lang.clone()),
    }
}
