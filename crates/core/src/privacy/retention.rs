//! `[[retention]]`: the periods the policy states, as rules that run. Each rule names one table of
//! a SQL dataset, the timestamp that starts the period, the period, its legal ground or reason,
//! and what happens to rows whose period has run out: deleted, named columns anonymised, or (on
//! PostgreSQL) whole time partitions detached and dropped. An optional filter narrows the rule
//! to rows whose columns have given values (only closed tickets).
//!
//! Nothing here touches a database; `kapsel_connect` runs a rule after `validate_retention` has
//! passed it, and `crate::retention` computes its cutoff.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::duration::Duration;

/// One retention rule.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct RetentionRule {
    pub id: String,
    /// The processing activity whose data this is; the notice and the record of processing
    /// state its retention from its rules.
    pub activity: String,
    /// A SQL dataset of `[[datasets]]`.
    pub dataset: String,
    /// One of the dataset's tables.
    pub table: String,
    /// The column whose time starts the period (a timestamp or date column; on SQLite ISO-8601
    /// text or Unix seconds).
    pub timestamp: String,
    /// Whether the period runs from the timestamp itself or from the end of the financial year
    /// (the calendar year) it falls in, as the Bookkeeping Act counts.
    #[serde(default, skip_serializing_if = "CountedFrom::is_timestamp")]
    pub counted_from: CountedFrom,
    /// `"6 days"`, `"3 years"`.
    pub period: String,
    /// The legal ground or the reason for the period ("bokføringsloven § 13").
    pub ground: String,
    pub action: RetentionAction,
    /// Column → the values a row must have one of for the rule to apply (`status = "closed"`).
    /// Compared as text.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub filter: BTreeMap<String, FilterValues>,
}

/// Where a rule's period starts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CountedFrom {
    #[default]
    Timestamp,
    /// The end of the calendar year of the timestamp (1 January of the next year).
    EndOfYear,
}

impl CountedFrom {
    pub fn is_timestamp(&self) -> bool {
        *self == CountedFrom::Timestamp
    }
}

/// What happens to an expired row.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RetentionAction {
    Delete,
    /// The row stays; each named column is changed as given.
    Anonymise(BTreeMap<String, Anonymise>),
    /// PostgreSQL range partitions whose upper bound is at or before the cutoff are detached
    /// and dropped whole.
    DropPartitions,
}

impl RetentionAction {
    pub fn name(&self) -> &'static str {
        match self {
            RetentionAction::Delete => "delete",
            RetentionAction::Anonymise(_) => "anonymise",
            RetentionAction::DropPartitions => "drop_partitions",
        }
    }
}

/// How an anonymised column changes. Each is idempotent: applied twice it changes nothing more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Anonymise {
    Null,
    /// The hex HMAC-SHA256 under the desk's key, as erasure's `keyed_hash`.
    KeyedHash,
    /// A date or timestamp becomes 1 January of its year.
    Year,
    /// A postcode keeps its first two characters (the postal area).
    PostcodePrefix,
    /// An IP address keeps its network: IPv4 /24, IPv6 /48.
    IpPrefix,
}

impl Anonymise {
    pub fn name(self) -> &'static str {
        match self {
            Anonymise::Null => "null",
            Anonymise::KeyedHash => "keyed_hash",
            Anonymise::Year => "year",
            Anonymise::PostcodePrefix => "postcode_prefix",
            Anonymise::IpPrefix => "ip_prefix",
        }
    }
}

/// One value or a list of them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum FilterValues {
    One(String),
    Many(Vec<String>),
}

impl FilterValues {
    pub fn values(&self) -> &[String] {
        match self {
            FilterValues::One(value) => std::slice::from_ref(value),
            FilterValues::Many(values) => values,
        }
    }
}

impl RetentionRule {
    /// The period, when it reads as a count and a unit.
    pub fn span(&self) -> Option<Duration> {
        Duration::parse(&self.period)
            .ok()
            .filter(|d| matches!(d, Duration::Span { .. }))
    }

    /// Every column the rule reads or changes besides the table's primary key.
    pub fn columns(&self) -> Vec<&str> {
        let mut columns = vec![self.timestamp.as_str()];
        columns.extend(self.filter.keys().map(String::as_str));
        if let RetentionAction::Anonymise(changes) = &self.action {
            columns.extend(changes.keys().map(String::as_str));
        }
        columns.sort_unstable();
        columns.dedup();
        columns
    }
}
