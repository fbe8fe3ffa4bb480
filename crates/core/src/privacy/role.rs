//! The role of a service's provider towards the controller (GDPR art. 4(7)–(8), 26, 28), as
//! declared per service in the privacy file; the notice and the record of processing name it.

use serde::{Deserialize, Serialize};

/// What the provider of a service is to the controller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceRole {
    /// Processes the data on the controller's behalf and instructions (art. 28).
    Processor,
    /// Decides itself why and how it uses the data it receives (art. 4(7)).
    IndependentController,
    /// Decides together with the controller (art. 26), e.g. Meta for its pixel (CJEU C-40/17
    /// Fashion ID).
    JointController,
}

impl ServiceRole {
    pub const ALL: [ServiceRole; 3] = [
        ServiceRole::Processor,
        ServiceRole::IndependentController,
        ServiceRole::JointController,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ServiceRole::Processor => "processor",
            ServiceRole::IndependentController => "independent_controller",
            ServiceRole::JointController => "joint_controller",
        }
    }
}
