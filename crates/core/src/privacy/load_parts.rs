//! Reading the privacy file part by part, so that one value of the wrong type (a misspelt enum
//! value, a missing field) does not hide every problem after it. Serde stops at the first error
//! of a document; here each list element (`[[sites]]`, `[[categories]]`, `[[services]]` with
//! their cookies and transfers, `[[activities]]` with their processors and transfers,
//! `[[notice.sections]]`) and each table (`[organisation]`, `[consent]`) is read on its own and
//! every error kept. The elements that failed are then left out, the rest is read as a whole and
//! validated, and the paths of what was found are mapped back to the elements' places in the file.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeArray, DeTable, DeValue, ValueDeserializer};

use super::duration::Duration;
use super::locate::{FieldPath, Step};
use super::model::{
    Activity, Category, ConsentSettings, Cookie, NoticeSection, Organisation, Processor, Service,
    Site, Transfer,
};

/// A type error found while reading one part: byte offset and serde's message.
pub(super) type TypeError = (usize, String);

/// What reading part by part found.
pub(super) struct Parts<'i> {
    /// Every type error, in no particular order (the loader sorts).
    pub errors: Vec<TypeError>,
    /// The document without the list elements that failed (and without a failing `[consent]`).
    pub patched: Spanned<DeTable<'i>>,
    /// For each list whose elements were left out: the original index of each kept element.
    kept: BTreeMap<&'static str, Vec<usize>>,
    /// The ids written in the elements that failed, so that references to them are not reported
    /// as undeclared.
    pub failed_ids: Vec<String>,
}

const LISTS: [&str; 4] = ["sites", "categories", "services", "activities"];

fn read<T: DeserializeOwned>(value: &Spanned<DeValue<'_>>, errors: &mut Vec<TypeError>) -> bool {
    match T::deserialize(ValueDeserializer::from(value.clone())) {
        Ok(_) => true,
        Err(error) => {
            let offset = error.span().map_or(value.span().start, |span| span.start);
            errors.push((offset, error.message().to_owned()));
            false
        }
    }
}

fn entry<'t, 'i>(table: &'t DeTable<'i>, key: &str) -> Option<&'t Spanned<DeValue<'i>>> {
    table
        .iter()
        .find(|(k, _)| k.get_ref().as_ref() == key)
        .map(|(_, value)| value)
}

fn items<'t, 'i>(table: &'t DeTable<'i>, key: &str) -> &'t [Spanned<DeValue<'i>>] {
    entry(table, key)
        .and_then(|value| value.get_ref().as_array())
        .map_or(&[], |array| &array[..])
}

/// Reads every element of the list `key` and the lists inside it; true for each that is sound.
fn read_list(table: &DeTable<'_>, key: &str, errors: &mut Vec<TypeError>) -> Vec<bool> {
    items(table, key)
        .iter()
        .map(|item| {
            let Some(inner) = item.get_ref().as_table() else {
                return false;
            };
            let mut sound = true;
            let mut nested = |list: &str,
                              read_one: &dyn Fn(
                &Spanned<DeValue<'_>>,
                &mut Vec<TypeError>,
            ) -> bool| {
                for element in items(inner, list) {
                    sound &= read_one(element, errors);
                }
            };
            match key {
                "services" => {
                    nested("cookies", &read::<Cookie>);
                    nested("transfers", &read::<Transfer>);
                }
                "activities" => {
                    nested("transfers", &read::<Transfer>);
                    nested("processors", &read::<Processor>);
                }
                _ => {}
            }
            let whole = match key {
                "sites" => read::<Site>(item, errors),
                "categories" => read::<Category>(item, errors),
                "services" => read::<Service>(item, errors),
                "activities" => read::<Activity>(item, errors),
                _ => read::<NoticeSection>(item, errors),
            };
            sound && whole
        })
        .collect()
}

fn without<'i>(value: &Spanned<DeValue<'i>>, sound: &[bool]) -> Spanned<DeValue<'i>> {
    let mut array = DeArray::new();
    if let Some(items) = value.get_ref().as_array() {
        for (item, _) in items.iter().zip(sound).filter(|(_, ok)| **ok) {
            array.push(item.clone());
        }
    }
    Spanned::new(value.span(), DeValue::Array(array))
}

/// Durations that cannot be read inside a list element that was left out (its cookies'
/// `duration`, an activity's `retention_period`): validation never sees that element.
fn durations_in(item: &Spanned<DeValue<'_>>, list: &str, errors: &mut Vec<TypeError>) {
    let Some(table) = item.get_ref().as_table() else {
        return;
    };
    let mut check = |value: Option<&Spanned<DeValue<'_>>>| {
        let Some(value) = value else { return };
        let Some(text) = value.get_ref().as_str() else {
            return;
        };
        if let Err(error) = Duration::parse(text) {
            errors.push((
                value.span().start,
                format!("cannot read duration {text:?}: {}", error.reason),
            ));
        }
    };
    match list {
        "services" => {
            for cookie in items(table, "cookies") {
                if let Some(cookie) = cookie.get_ref().as_table() {
                    check(entry(cookie, "duration"));
                }
            }
        }
        "activities" => check(entry(table, "retention_period")),
        _ => {}
    }
}

fn id_of(value: &Spanned<DeValue<'_>>) -> Option<String> {
    let table = value.get_ref().as_table()?;
    entry(table, "id")?.get_ref().as_str().map(str::to_owned)
}

/// Reads `tree` part by part.
pub(super) fn read_parts<'i>(tree: &Spanned<DeTable<'i>>) -> Parts<'i> {
    let root = tree.get_ref();
    let mut errors = Vec::new();
    let mut patched = root.clone();
    let mut kept = BTreeMap::new();
    let mut failed_ids = Vec::new();
    if let Some(organisation) = entry(root, "organisation") {
        read::<Organisation>(organisation, &mut errors);
    }
    if let Some(consent) = entry(root, "consent")
        && !read::<ConsentSettings>(consent, &mut errors)
    {
        // An empty `[consent]` reads as the defaults.
        for (key, value) in patched.iter_mut() {
            if key.get_ref().as_ref() == "consent" {
                *value = Spanned::new(value.span(), DeValue::Table(DeTable::new()));
            }
        }
    }
    for list in LISTS {
        let sound = read_list(root, list, &mut errors);
        if sound.iter().all(|ok| *ok) {
            continue;
        }
        for (item, _) in items(root, list).iter().zip(&sound).filter(|(_, ok)| !**ok) {
            failed_ids.extend(id_of(item));
            // What validation would say about it, as far as it can be said without the model.
            durations_in(item, list, &mut errors);
        }
        kept.insert(
            list,
            sound
                .iter()
                .enumerate()
                .filter(|(_, ok)| **ok)
                .map(|(index, _)| index)
                .collect(),
        );
        for (key, value) in patched.iter_mut() {
            if key.get_ref().as_ref() == list {
                *value = without(value, &sound);
            }
        }
    }
    if let Some(notice) = entry(root, "notice").and_then(|n| n.get_ref().as_table()) {
        let sound = read_list(notice, "sections", &mut errors);
        if !sound.iter().all(|ok| *ok) {
            for (key, value) in patched.iter_mut() {
                if key.get_ref().as_ref() != "notice" {
                    continue;
                }
                let mut table = notice.clone();
                for (inner_key, inner) in table.iter_mut() {
                    if inner_key.get_ref().as_ref() == "sections" {
                        *inner = without(inner, &sound);
                    }
                }
                *value = Spanned::new(value.span(), DeValue::Table(table));
            }
        }
    }
    Parts {
        errors,
        patched: Spanned::new(tree.span(), patched),
        kept,
        failed_ids,
    }
}

impl Parts<'_> {
    /// The path in the original file of a path into the patched document.
    pub fn original(&self, path: &FieldPath) -> FieldPath {
        let mut steps = path.0.clone();
        if let [Step::Key(list), Step::Index(index), ..] = steps.as_mut_slice()
            && let Some(kept) = self.kept.get(list.as_str())
            && let Some(original) = kept.get(*index)
        {
            *index = *original;
        }
        FieldPath(steps)
    }

    /// Whether an element of `list` was left out.
    pub fn left_out(&self, list: &str) -> bool {
        self.kept.contains_key(list)
    }

    /// Whether anything was left out.
    pub fn incomplete(&self) -> bool {
        !self.errors.is_empty()
    }
}
