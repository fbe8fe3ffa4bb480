//! What a `step` event records: the actions of carrying a case out in the operator's
//! datasets, by their stored names.

/// What a [`CaseEventKind::Step`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepAction {
    /// Access or portability: the dataset's rows were read (result: rows per table).
    Exported,
    /// Erasure, before anything is changed: the dry run's counts (result: the plan).
    ErasurePlanned,
    /// Erasure in this dataset is about to run; a `started` with no `erased` after it is
    /// what a restart resumes.
    ErasureStarted,
    /// Erasure in this dataset committed (result: what was deleted, nulled, hashed, held).
    Erased,
    /// A webhook dataset answered (result: status and the answer's SHA-256).
    WebhookAnswered,
    /// A person carried out a manual dataset's instructions (result: their note).
    TaskDone,
    /// The access bundle was made (result: its SHA-256, size and expiry).
    BundleReady,
    /// The requester downloaded the bundle.
    BundleDownloaded,
    /// Restriction or objection: the requester's identifiers were put on the suppression list
    /// (result: the activity and kind).
    Suppressed,
    /// Rectification approved and applied (result: table, column and rows changed — never the
    /// value).
    Rectified,
}

impl StepAction {
    pub const ALL: [StepAction; 10] = [
        StepAction::Exported,
        StepAction::ErasurePlanned,
        StepAction::ErasureStarted,
        StepAction::Erased,
        StepAction::WebhookAnswered,
        StepAction::TaskDone,
        StepAction::BundleReady,
        StepAction::BundleDownloaded,
        StepAction::Suppressed,
        StepAction::Rectified,
    ];

    /// The stored name; part of the hashed text, so never renamed.
    pub fn as_str(self) -> &'static str {
        match self {
            StepAction::Exported => "exported",
            StepAction::ErasurePlanned => "erasure_planned",
            StepAction::ErasureStarted => "erasure_started",
            StepAction::Erased => "erased",
            StepAction::WebhookAnswered => "webhook_answered",
            StepAction::TaskDone => "task_done",
            StepAction::BundleReady => "bundle_ready",
            StepAction::BundleDownloaded => "bundle_downloaded",
            StepAction::Suppressed => "suppressed",
            StepAction::Rectified => "rectified",
        }
    }

    pub fn parse(name: &str) -> Option<StepAction> {
        StepAction::ALL.into_iter().find(|a| a.as_str() == name)
    }
}
