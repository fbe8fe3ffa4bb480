//! `[scan]`: the token that marks Kapsel's own scanner. `kapsel scan --token` (or
//! `KAPSEL_SCAN__TOKEN`, the same variable on both sides) sends it in `Kapsel-Scan` on the
//! banner's consent POSTs; `kapsel serve` answers those as usual and records nothing, so scans
//! never count as visitors' choices (docs/scanner.md, docs/ledger.md).

use kapsel_core::Secret;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScanSettings {
    /// The scanner's token (a secret). Without one, any `Kapsel-Scan` header is refused.
    pub token: Option<Secret>,
}
