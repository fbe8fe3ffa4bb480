//! A receipt's lineage picked out of the records reachable from it: the receipt itself, then
//! from each record its newest successor (the newest record naming it as previous receipt, by
//! `(recorded_at_ms, chain_id, seq)`), until a record has none, the path would loop, or it
//! reaches `max` records.

use std::collections::{HashMap, HashSet};

use kapsel_core::consent::ConsentRecord;

/// The lineage of `id` within `reachable`, oldest first. `reachable` is newest first by
/// `(recorded_at_ms, chain_id, seq)` (the database's order), so the first record naming a
/// receipt is its successor. Empty when `id` is not among them.
pub(super) fn pick(id: &str, reachable: Vec<ConsentRecord>, max: usize) -> Vec<ConsentRecord> {
    let Some(start) = reachable.iter().position(|record| record.id == id) else {
        return Vec::new();
    };
    let mut successor: HashMap<&str, usize> = HashMap::new();
    for (index, record) in reachable.iter().enumerate() {
        if let Some(previous) = record.choice.previous_receipt.as_deref() {
            successor.entry(previous).or_insert(index);
        }
    }
    let mut path = vec![start];
    let mut on_path = HashSet::from([start]);
    while path.len() < max {
        let Some(last) = path.last().and_then(|&index| reachable.get(index)) else {
            break;
        };
        match successor.get(last.id.as_str()) {
            Some(&next) if on_path.insert(next) => path.push(next),
            _ => break,
        }
    }
    let mut records: Vec<Option<ConsentRecord>> = reachable.into_iter().map(Some).collect();
    path.into_iter()
        .filter_map(|index| records.get_mut(index).and_then(Option::take))
        .collect()
}

#[cfg(test)]
mod tests {
    use kapsel_core::Lang;
    use kapsel_core::consent::{ConsentAction, ConsentChoice, RecordContext};

    use super::*;

    fn record(id: &str, previous: Option<&str>, at: i64) -> ConsentRecord {
        ConsentRecord {
            id: id.into(),
            chain_id: "c".into(),
            seq: at,
            recorded_at_ms: at,
            expires_at_ms: at,
            choice: ConsentChoice {
                site: "www".into(),
                revision: "r".into(),
                language: Lang::new("en"),
                action: ConsentAction::AcceptAll,
                categories: Default::default(),
                services: Default::default(),
                previous_receipt: previous.map(String::from),
                gpc: false,
            },
            context: RecordContext {
                ip_prefix: None,
                ua_family: "Firefox".into(),
            },
            prev_hash: String::new(),
            hash: String::new(),
        }
    }

    fn ids(records: &[ConsentRecord]) -> Vec<&str> {
        records.iter().map(|r| r.id.as_str()).collect()
    }

    #[test]
    fn the_newest_successor_is_followed_and_older_branches_are_left() {
        // a <- b (at 2), a <- c (at 3, newest), c <- d; newest first as the database orders.
        let reachable = vec![
            record("d", Some("c"), 4),
            record("c", Some("a"), 3),
            record("b", Some("a"), 2),
            record("a", None, 1),
        ];
        assert_eq!(ids(&pick("a", reachable, 100)), ["a", "c", "d"]);
    }

    #[test]
    fn a_loop_ends_the_lineage_and_so_does_the_bound() {
        let looped = vec![record("b", Some("a"), 2), record("a", Some("b"), 1)];
        assert_eq!(ids(&pick("a", looped.clone(), 100)), ["a", "b"]);
        assert_eq!(ids(&pick("a", looped.clone(), 1)), ["a"]);
        assert!(pick("z", looped, 100).is_empty());
    }
}
