//! What the ledger commands read besides the ledger: checkpoints and keys from a file or a URL,
//! and the signed trailer every export ends with.
//!
//! The trailer is the export's last line: in JSONL `{"kapsel_export_trailer": {…}}`, in CSV a
//! row `#kapsel-export-trailer,<the same JSON>`. It holds
//!
//! - `export`: a signed note (C2SP signed-note) `kapsel-export/v1` stating how many records
//!   precede it, the SHA-256 of every byte before the trailer line, the filter and the time;
//! - `checkpoints`: one signed checkpoint (C2SP tlog-checkpoint) per chain at the head the
//!   export was cut at;
//! - `keys`: the verifier keys that signed them (an auditor should pin keys with `--keys`);
//! - `gaps` (only when there are any): the signed acknowledgements of gaps `kapsel ledger
//!   repair` made in the exported chains;
//! - `seals` (only when there are any): the signed seals (`kapsel-seal/v1`) of the prefixes
//!   `kapsel ledger prune` removed from the exported chains, which a verifier starts from.
//!
//! So a file cut short, a line removed or changed, or an empty file, no longer verifies.

use anyhow::{Context, bail};
use kapsel_core::signing::note::{Checkpoint, open_checkpoint, open_note, sign_note};
use kapsel_core::signing::{PublicKey, SigningKey, base64_decode, base64_encode};
use serde::{Deserialize, Serialize};

pub const TRAILER_FIELD: &str = "kapsel_export_trailer";
pub const CSV_TRAILER_PREFIX: &str = "#kapsel-export-trailer,";
const EXPORT_VERSION: &str = "kapsel-export/v1";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trailer {
    pub export: String,
    pub checkpoints: Vec<String>,
    pub keys: Vec<String>,
    /// The signed acknowledgements of gaps (`kapsel-gap/v1`) in the exported chains, so that a
    /// verifier of the file walks across them as `verify --data` does.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gaps: Vec<String>,
    /// The signed seals (`kapsel-seal/v1`) of the prefixes pruned from the exported chains, so
    /// that a verifier of the file starts each chain where its records now begin.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub seals: Vec<String>,
}

/// What the export note states.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportNote {
    pub records: u64,
    pub sha256: [u8; 32],
    pub site: Option<String>,
    pub since_ms: Option<i64>,
    pub until_ms: Option<i64>,
    pub time_ms: i64,
}

impl ExportNote {
    pub fn filtered(&self) -> bool {
        self.site.is_some() || self.since_ms.is_some() || self.until_ms.is_some()
    }

    pub fn body(&self) -> String {
        let opt = |v: Option<i64>| v.map_or("*".to_owned(), |v| v.to_string());
        let site = self
            .site
            .as_ref()
            .map_or("*".to_owned(), |s| format!("{}:{s}", s.len()));
        format!(
            "{EXPORT_VERSION}\nrecords {}\nsha256 {}\nsite {site}\nsince-ms {}\nuntil-ms {}\n\
             time-ms {}\n",
            self.records,
            base64_encode(&self.sha256),
            opt(self.since_ms),
            opt(self.until_ms),
            self.time_ms
        )
    }

    pub fn sign(&self, key: &SigningKey) -> String {
        sign_note(&self.body(), key)
    }

    pub fn parse(body: &str) -> anyhow::Result<ExportNote> {
        let mut lines = body.lines();
        if lines.next() != Some(EXPORT_VERSION) {
            bail!("the export note is not {EXPORT_VERSION}");
        }
        let mut value = |name: &str| -> anyhow::Result<String> {
            let line = lines.next().unwrap_or_default();
            line.strip_prefix(name)
                .and_then(|rest| rest.strip_prefix(' '))
                .map(str::to_owned)
                .with_context(|| format!("the export note has no {name} line"))
        };
        let records = value("records")?.parse().context("records")?;
        let sha256 = base64_decode(&value("sha256")?)
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .context("sha256")?;
        let site = value("site")?;
        let site = match site.as_str() {
            "*" => None,
            other => Some(
                other
                    .split_once(':')
                    .map(|(_, s)| s.to_owned())
                    .context("site")?,
            ),
        };
        let opt = |text: String| -> anyhow::Result<Option<i64>> {
            Ok(match text.as_str() {
                "*" => None,
                other => Some(other.parse()?),
            })
        };
        let since_ms = opt(value("since-ms")?)?;
        let until_ms = opt(value("until-ms")?)?;
        let time_ms = value("time-ms")?.parse().context("time-ms")?;
        Ok(ExportNote {
            records,
            sha256,
            site,
            since_ms,
            until_ms,
            time_ms,
        })
    }
}

pub use kapsel_core::signing::note::chain_of_origin;

/// A checkpoint read and verified, with the chain it is of.
#[derive(Debug, Clone)]
pub struct VerifiedCheckpoint {
    pub chain_id: String,
    pub checkpoint: Checkpoint,
    pub key: PublicKey,
}

pub fn verify_checkpoint(note: &str, keys: &[PublicKey]) -> anyhow::Result<VerifiedCheckpoint> {
    let (checkpoint, key) = open_checkpoint(note, keys)?;
    let chain_id = chain_of_origin(&checkpoint.origin)
        .with_context(|| format!("the origin {:?} names no chain", checkpoint.origin))?;
    Ok(VerifiedCheckpoint {
        chain_id,
        checkpoint,
        key,
    })
}

/// Verifies the export note with `keys`.
pub fn verify_export_note(note: &str, keys: &[PublicKey]) -> anyhow::Result<ExportNote> {
    let (body, _) = open_note(note, keys)?;
    ExportNote::parse(body)
}

/// The text of `source`: fetched when it is an http(s) URL, read otherwise.
pub async fn read_source(source: &str) -> anyhow::Result<String> {
    if source.starts_with("https://") || source.starts_with("http://") {
        let response = reqwest::Client::new()
            .get(source)
            .send()
            .await
            .with_context(|| format!("cannot fetch {source}"))?;
        if !response.status().is_success() {
            bail!("{source} answered {}", response.status());
        }
        return response
            .text()
            .await
            .with_context(|| format!("cannot read {source}"));
    }
    std::fs::read_to_string(source).with_context(|| format!("cannot read {source}"))
}

/// The keys URL of the server a checkpoint URL points at.
pub fn keys_url_beside(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    let mut keys = parsed.join("/.well-known/kapsel/keys").ok()?;
    keys.set_query(None);
    Some(keys.to_string())
}

/// Keys from the JSON of `/.well-known/kapsel/keys`, or verifier keys one per line.
pub fn parse_keys(text: &str) -> anyhow::Result<Vec<PublicKey>> {
    if let Ok(json) = serde_json::from_str::<serde_json::Value>(text) {
        let list = json
            .get("keys")
            .and_then(|k| k.as_array())
            .context("a keys document has a \"keys\" array")?;
        return list
            .iter()
            .map(|k| {
                let vkey = k
                    .get("verifier_key")
                    .and_then(|v| v.as_str())
                    .context("a key without verifier_key")?;
                Ok(PublicKey::from_verifier_key(vkey)?)
            })
            .collect();
    }
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| Ok(PublicKey::from_verifier_key(l)?))
        .collect()
}

/// Splits an export into the bytes before its trailer and the trailer; `None` when the last
/// line is not a trailer.
pub fn split_trailer(text: &str) -> Option<(&str, Trailer)> {
    let body = text.strip_suffix('\n').unwrap_or(text);
    let (before, last) = match body.rfind('\n') {
        Some(at) => body.split_at(at + 1),
        None => ("", body),
    };
    let trailer = if let Some(csv) = last.strip_prefix(CSV_TRAILER_PREFIX) {
        let json = csv
            .strip_prefix('"')?
            .strip_suffix('"')?
            .replace("\"\"", "\"");
        serde_json::from_str::<serde_json::Value>(&json).ok()?
    } else {
        let value: serde_json::Value = serde_json::from_str(last).ok()?;
        value.get(TRAILER_FIELD)?.clone()
    };
    Some((before, serde_json::from_value(trailer).ok()?))
}

/// The trailer line for `format`'s export (with its newline).
pub fn trailer_line(trailer: &Trailer, csv: bool) -> anyhow::Result<String> {
    let json = serde_json::to_string(trailer)?;
    Ok(if csv {
        format!(
            "{CSV_TRAILER_PREFIX}{}\n",
            kapsel_publish::csv::field(&json)
        )
    } else {
        format!("{{\"{TRAILER_FIELD}\":{json}}}\n")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_export_note_round_trips() {
        let note = ExportNote {
            records: 3,
            sha256: [7; 32],
            site: Some("www".into()),
            since_ms: None,
            until_ms: Some(5),
            time_ms: 9,
        };
        assert_eq!(ExportNote::parse(&note.body()).unwrap(), note);
        assert!(note.filtered());
    }

    #[test]
    fn origins_name_their_chain() {
        let origin = kapsel_core::signing::note::chain_origin("k", "a b/c");
        assert_eq!(chain_of_origin(&origin).as_deref(), Some("a b/c"));
        assert_eq!(chain_of_origin("k/other"), None);
    }

    #[test]
    fn trailers_are_found_at_the_end_in_both_formats() {
        let trailer = Trailer {
            export: "e\n\n\u{2014} k x\n".into(),
            checkpoints: vec!["c\n".into()],
            keys: vec!["k+1+2".into()],
            gaps: Vec::new(),
            seals: Vec::new(),
        };
        for csv in [false, true] {
            let text = format!("line one\n{}", trailer_line(&trailer, csv).unwrap());
            let (before, read) = split_trailer(&text).unwrap();
            assert_eq!(before, "line one\n");
            assert_eq!(read.export, trailer.export);
        }
        assert!(split_trailer("").is_none());
        assert!(split_trailer("{\"id\":1}\n").is_none());
    }

    #[test]
    fn the_keys_url_sits_beside_the_checkpoint_url() {
        assert_eq!(
            keys_url_beside("https://c.example/v1/checkpoints/x?a=1").as_deref(),
            Some("https://c.example/.well-known/kapsel/keys")
        );
    }
}
