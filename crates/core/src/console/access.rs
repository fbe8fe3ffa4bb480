//! Who may do what in the console: four roles, each a superset of the one before, and the
//! permissions a page or an action asks for. The console asks [`Role::may`] before it renders a
//! page or runs an action; a page a role may not see answers 403, never an empty page.

use std::fmt;

/// A console account's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Reads the overview and the evidence; changes nothing.
    Viewer,
    /// A viewer who also reads and works the desk's cases (they hold requesters' data).
    Respondent,
    /// A respondent who also exports the ledger, adds and releases holds, replays dead letters
    /// and reads the audit log.
    PrivacyLead,
    /// A privacy lead who also manages accounts.
    Admin,
}

/// What a page or an action needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// The overview's consent rates.
    SeeOverview,
    /// The ledger's verification, revisions, scans, documents, the privacy file, the retention
    /// rules and the gate's counts.
    SeeEvidence,
    /// Request cases: the inbox and case pages.
    SeeCases,
    /// Recording steps on a case.
    WorkCases,
    /// Exports that hold records (the ledger export, the overview CSV holds only counts).
    ExportLedger,
    /// Adding and releasing retention holds.
    ManageHolds,
    /// Replaying the gate's dead letters.
    ReplayDeadLetters,
    /// The console's own audit log.
    SeeAudit,
    /// Disabling accounts and ending their sessions.
    ManageAccounts,
}

impl Role {
    pub const ALL: [Role; 4] = [
        Role::Viewer,
        Role::Respondent,
        Role::PrivacyLead,
        Role::Admin,
    ];

    /// The storage and settings name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Respondent => "respondent",
            Role::PrivacyLead => "privacy_lead",
            Role::Admin => "admin",
        }
    }

    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == name)
    }

    /// The least role that has `permission`.
    fn least_for(permission: Permission) -> Role {
        match permission {
            Permission::SeeOverview | Permission::SeeEvidence => Role::Viewer,
            Permission::SeeCases | Permission::WorkCases => Role::Respondent,
            Permission::ExportLedger
            | Permission::ManageHolds
            | Permission::ReplayDeadLetters
            | Permission::SeeAudit => Role::PrivacyLead,
            Permission::ManageAccounts => Role::Admin,
        }
    }

    pub fn may(self, permission: Permission) -> bool {
        self >= Role::least_for(permission)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_has_exactly_its_permissions() {
        use Permission::*;
        let all = [
            SeeOverview,
            SeeEvidence,
            SeeCases,
            WorkCases,
            ExportLedger,
            ManageHolds,
            ReplayDeadLetters,
            SeeAudit,
            ManageAccounts,
        ];
        let granted =
            |role: Role| -> Vec<Permission> { all.into_iter().filter(|p| role.may(*p)).collect() };
        assert_eq!(granted(Role::Viewer), vec![SeeOverview, SeeEvidence]);
        assert_eq!(
            granted(Role::Respondent),
            vec![SeeOverview, SeeEvidence, SeeCases, WorkCases]
        );
        assert!(!Role::Respondent.may(ManageHolds));
        assert_eq!(granted(Role::PrivacyLead).len(), 8);
        assert!(!Role::PrivacyLead.may(ManageAccounts));
        assert_eq!(granted(Role::Admin).len(), all.len());
    }

    #[test]
    fn names_round_trip_and_unknown_names_are_refused() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
        assert_eq!(Role::parse("Admin"), None);
    }
}
