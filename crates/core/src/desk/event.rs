//! One step in a case's history: who did what, when, and with which details. The typed
//! [`CaseEventKind`] is what the desk works with; its stored form is a kind name and a flat
//! string map ([`CaseEventKind::detail`]), which is also what the hash covers. Reading a stored
//! event back ([`CaseEventKind::from_parts`]) accepts only the exact map the typed event writes,
//! so a stored detail has one meaning and one hash.
//!
//! Events hold no message bodies and no requester identifiers: the history is evidence of the
//! handling, kept after the requester's data is gone.

use std::collections::BTreeMap;
use std::fmt;

use super::right::Right;
use super::step::StepAction;
use crate::clock::Millis;

/// An event's details as stored: keys and values are plain strings.
pub type Detail = BTreeMap<String, String>;

/// How the requester's identity was checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifyMethod {
    /// The requester followed the one-time link sent to the address they gave.
    Link,
    /// A privacy lead checked it another way (ID shown at the counter, …); the note says how.
    OtherMeans,
}

impl VerifyMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            VerifyMethod::Link => "link",
            VerifyMethod::OtherMeans => "other_means",
        }
    }

    fn parse(name: &str) -> Option<VerifyMethod> {
        [VerifyMethod::Link, VerifyMethod::OtherMeans]
            .into_iter()
            .find(|m| m.as_str() == name)
    }
}

/// Why personal data is kept despite an erasure request: the exceptions of art. 17(3) GDPR.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErasureGround {
    /// (a) exercising the right of freedom of expression and information.
    Expression,
    /// (b) a legal obligation, a task in the public interest or official authority.
    LegalObligation,
    /// (c) public health.
    PublicHealth,
    /// (d) archiving in the public interest, scientific or historical research, statistics.
    Archiving,
    /// (e) the establishment, exercise or defence of legal claims.
    LegalClaims,
}

impl ErasureGround {
    pub const ALL: [ErasureGround; 5] = [
        ErasureGround::Expression,
        ErasureGround::LegalObligation,
        ErasureGround::PublicHealth,
        ErasureGround::Archiving,
        ErasureGround::LegalClaims,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErasureGround::Expression => "art17_3_a_expression",
            ErasureGround::LegalObligation => "art17_3_b_legal_obligation",
            ErasureGround::PublicHealth => "art17_3_c_public_health",
            ErasureGround::Archiving => "art17_3_d_archiving",
            ErasureGround::LegalClaims => "art17_3_e_legal_claims",
        }
    }

    pub fn parse(name: &str) -> Option<ErasureGround> {
        ErasureGround::ALL.into_iter().find(|g| g.as_str() == name)
    }
}

/// What happened to a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseEventKind {
    /// The request arrived; always the first event, and only the first.
    Received {
        site: String,
        right: Right,
    },
    /// The requester's identity was checked.
    Verified {
        method: VerifyMethod,
        note: String,
    },
    /// Work on the request began.
    Started,
    /// Waiting for the requester to clarify `question`.
    Paused {
        question: String,
    },
    /// The clarification came; the case returns to the state it paused from.
    Resumed,
    /// The period was extended by `months` further months (art. 12(3)), for `reason`.
    Extended {
        months: u32,
        reason: String,
    },
    Completed,
    /// Refused with an art. 12(4) `reason`; an erasure refusal names its art. 17(3) `ground`.
    Refused {
        reason: String,
        ground: Option<ErasureGround>,
    },
    /// The requester withdrew the request.
    Withdrawn,
    /// The identity was never verified in time.
    Lapsed,
    /// A remark; allowed in every state, also after the case has ended.
    Note {
        text: String,
    },
    /// A mail went out: its message id and the template it was made from, never its body.
    MailSent {
        message_id: String,
        template: String,
    },
    /// A step of carrying out the request in one dataset (or, for the bundle, in none): what
    /// was done and its result as compact JSON (counts, status codes, digests — never the
    /// requester's data).
    Step {
        action: StepAction,
        /// The dataset id; empty for a step about the whole case (the bundle).
        dataset: String,
        result: String,
    },
}

/// A stored event that no [`CaseEventKind`] writes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("event kind {kind:?} with detail {detail:?} is not one Kapsel writes")]
pub struct UnknownEvent {
    pub kind: String,
    pub detail: Detail,
}

impl CaseEventKind {
    /// Every kind name, in the order of the enum.
    pub const NAMES: [&'static str; 13] = [
        "received",
        "verified",
        "started",
        "paused",
        "resumed",
        "extended",
        "completed",
        "refused",
        "withdrawn",
        "lapsed",
        "note",
        "mail_sent",
        "step",
    ];

    /// The stored kind name; part of the hashed text, so never renamed.
    pub fn name(&self) -> &'static str {
        match self {
            CaseEventKind::Received { .. } => "received",
            CaseEventKind::Verified { .. } => "verified",
            CaseEventKind::Started => "started",
            CaseEventKind::Paused { .. } => "paused",
            CaseEventKind::Resumed => "resumed",
            CaseEventKind::Extended { .. } => "extended",
            CaseEventKind::Completed => "completed",
            CaseEventKind::Refused { .. } => "refused",
            CaseEventKind::Withdrawn => "withdrawn",
            CaseEventKind::Lapsed => "lapsed",
            CaseEventKind::Note { .. } => "note",
            CaseEventKind::MailSent { .. } => "mail_sent",
            CaseEventKind::Step { .. } => "step",
        }
    }

    /// The details as stored and hashed.
    pub fn detail(&self) -> Detail {
        let pairs: Vec<(&str, String)> = match self {
            CaseEventKind::Received { site, right } => {
                vec![("site", site.clone()), ("right", right.as_str().into())]
            }
            CaseEventKind::Verified { method, note } => {
                vec![("method", method.as_str().into()), ("note", note.clone())]
            }
            CaseEventKind::Paused { question } => vec![("question", question.clone())],
            CaseEventKind::Extended { months, reason } => {
                vec![("months", months.to_string()), ("reason", reason.clone())]
            }
            CaseEventKind::Refused { reason, ground } => {
                let mut pairs = vec![("reason", reason.clone())];
                pairs.extend(ground.map(|g| ("ground", g.as_str().to_string())));
                pairs
            }
            CaseEventKind::Note { text } => vec![("text", text.clone())],
            CaseEventKind::MailSent {
                message_id,
                template,
            } => vec![
                ("message_id", message_id.clone()),
                ("template", template.clone()),
            ],
            CaseEventKind::Step {
                action,
                dataset,
                result,
            } => vec![
                ("action", action.as_str().into()),
                ("dataset", dataset.clone()),
                ("result", result.clone()),
            ],
            CaseEventKind::Started
            | CaseEventKind::Resumed
            | CaseEventKind::Completed
            | CaseEventKind::Withdrawn
            | CaseEventKind::Lapsed => Vec::new(),
        };
        pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
    }

    /// Reads a stored event back. Only the exact form [`detail`](Self::detail) writes is
    /// accepted: no extra keys, no `"02"` for `2`.
    pub fn from_parts(kind: &str, detail: &Detail) -> Result<CaseEventKind, UnknownEvent> {
        let get = |key: &str| detail.get(key).cloned().unwrap_or_default();
        let parsed = match kind {
            "received" => get("right")
                .parse()
                .ok()
                .map(|right| CaseEventKind::Received {
                    site: get("site"),
                    right,
                }),
            "verified" => {
                VerifyMethod::parse(&get("method")).map(|method| CaseEventKind::Verified {
                    method,
                    note: get("note"),
                })
            }
            "started" => Some(CaseEventKind::Started),
            "paused" => Some(CaseEventKind::Paused {
                question: get("question"),
            }),
            "resumed" => Some(CaseEventKind::Resumed),
            "extended" => get("months")
                .parse()
                .ok()
                .map(|months| CaseEventKind::Extended {
                    months,
                    reason: get("reason"),
                }),
            "completed" => Some(CaseEventKind::Completed),
            "refused" => match detail.get("ground") {
                None => Some(None),
                Some(name) => ErasureGround::parse(name).map(Some),
            }
            .map(|ground| CaseEventKind::Refused {
                reason: get("reason"),
                ground,
            }),
            "withdrawn" => Some(CaseEventKind::Withdrawn),
            "lapsed" => Some(CaseEventKind::Lapsed),
            "note" => Some(CaseEventKind::Note { text: get("text") }),
            "mail_sent" => Some(CaseEventKind::MailSent {
                message_id: get("message_id"),
                template: get("template"),
            }),
            "step" => StepAction::parse(&get("action")).map(|action| CaseEventKind::Step {
                action,
                dataset: get("dataset"),
                result: get("result"),
            }),
            _ => None,
        };
        parsed
            .filter(|event| event.detail() == *detail)
            .ok_or_else(|| UnknownEvent {
                kind: kind.to_string(),
                detail: detail.clone(),
            })
    }
}

impl fmt::Display for CaseEventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An event before it is sealed into a case's history: the desk says when, who and what; the
/// store puts it after the case's head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCaseEvent {
    /// Stamped by the caller from its clock.
    pub at_ms: Millis,
    /// `requester`, `system`, or `user:<name>` for a privacy lead.
    pub actor: String,
    pub kind: CaseEventKind,
}

/// A sealed event of a case's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseEvent {
    pub case_id: String,
    /// 1, 2, 3, … per case.
    pub seq: i64,
    pub at_ms: Millis,
    pub actor: String,
    pub kind: CaseEventKind,
    /// The hash of the event at `seq - 1`, or the genesis hash for `seq == 1`.
    pub prev_hash: String,
    /// SHA-256 of the canonical text (`desk::hash`) of every other field.
    pub hash: String,
}

impl CaseEvent {
    /// Links `event` after `prev_hash` at `seq` in case `case_id` and fills in its hash. The
    /// one way to extend a case's history.
    pub fn seal(case_id: &str, seq: i64, prev_hash: &str, event: NewCaseEvent) -> CaseEvent {
        let mut sealed = CaseEvent {
            case_id: case_id.to_string(),
            seq,
            at_ms: event.at_ms,
            actor: event.actor,
            kind: event.kind,
            prev_hash: prev_hash.to_string(),
            hash: String::new(),
        };
        sealed.hash = sealed.compute_hash();
        sealed
    }

    /// The hash this event's content should have.
    pub fn compute_hash(&self) -> String {
        super::hash::event_hash(self)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// One event of every kind, with non-empty details.
    pub(crate) fn every_kind() -> Vec<CaseEventKind> {
        vec![
            CaseEventKind::Received {
                site: "www".into(),
                right: Right::Erasure,
            },
            CaseEventKind::Verified {
                method: VerifyMethod::OtherMeans,
                note: "ID shown at the counter".into(),
            },
            CaseEventKind::Started,
            CaseEventKind::Paused {
                question: "Which customer number?".into(),
            },
            CaseEventKind::Resumed,
            CaseEventKind::Extended {
                months: 2,
                reason: "many systems".into(),
            },
            CaseEventKind::Completed,
            CaseEventKind::Refused {
                reason: "manifestly unfounded".into(),
                ground: Some(ErasureGround::LegalObligation),
            },
            CaseEventKind::Withdrawn,
            CaseEventKind::Lapsed,
            CaseEventKind::Note {
                text: "called back".into(),
            },
            CaseEventKind::MailSent {
                message_id: "<m1@kapsel.example>".into(),
                template: "case_received".into(),
            },
            CaseEventKind::Step {
                action: StepAction::Erased,
                dataset: "shop".into(),
                result: r#"{"rows_deleted":3}"#.into(),
            },
        ]
    }

    #[test]
    fn every_kind_round_trips_through_its_stored_parts() {
        let kinds = every_kind();
        let names: Vec<_> = kinds.iter().map(CaseEventKind::name).collect();
        assert_eq!(names, CaseEventKind::NAMES);
        for kind in kinds {
            assert_eq!(
                CaseEventKind::from_parts(kind.name(), &kind.detail()),
                Ok(kind.clone())
            );
        }
        let refused = CaseEventKind::Refused {
            reason: "r".into(),
            ground: None,
        };
        assert_eq!(
            CaseEventKind::from_parts("refused", &refused.detail()),
            Ok(refused)
        );
    }

    #[test]
    fn stored_parts_no_writer_writes_are_refused() {
        let detail = |pairs: &[(&str, &str)]| -> Detail {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let refused = [
            ("unknown", detail(&[])),
            ("started", detail(&[("extra", "")])),
            ("extended", detail(&[("months", "02"), ("reason", "r")])),
            ("extended", detail(&[("months", "-1"), ("reason", "r")])),
            ("extended", detail(&[("reason", "r")])),
            ("verified", detail(&[("method", "post"), ("note", "")])),
            ("refused", detail(&[("reason", "r"), ("ground", "because")])),
            ("received", detail(&[("site", "www"), ("right", "Access")])),
            ("note", detail(&[])),
        ];
        for (kind, detail) in refused {
            assert!(
                CaseEventKind::from_parts(kind, &detail).is_err(),
                "{kind} {detail:?} was accepted"
            );
        }
    }
}
