//! Long-running operations: their kinds, statuses and what finishing one
//! does to the resource it tracks.

use super::{ProvisioningState, arm_enum};

arm_enum!(OperationStatus {
    InProgress = "InProgress",
    Succeeded = "Succeeded",
    Failed = "Failed",
    Canceled = "Canceled",
});

arm_enum!(OperationKind {
    Create = "Create",
    Update = "Update",
    Delete = "Delete",
});

impl OperationKind {
    /// The state a resource shows while the operation runs.
    pub fn running_state(self) -> ProvisioningState {
        match self {
            Self::Create => ProvisioningState::Creating,
            Self::Update => ProvisioningState::Updating,
            Self::Delete => ProvisioningState::Deleting,
        }
    }

    /// How long the operation takes when time is simulated, in microseconds;
    /// Azure finishes gallery-level operations within a few seconds.
    pub fn nominal_duration_micros(self) -> i64 {
        match self {
            Self::Create | Self::Delete => 2_000_000,
            Self::Update => 1_000_000,
        }
    }
}

/// What completing an operation does to its resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The resource reaches this provisioning state.
    Provisioned(ProvisioningState),
    /// The resource is removed.
    Removed,
}

pub fn outcome(kind: OperationKind) -> Outcome {
    match kind {
        OperationKind::Create | OperationKind::Update => {
            Outcome::Provisioned(ProvisioningState::Succeeded)
        }
        OperationKind::Delete => Outcome::Removed,
    }
}

arm_enum!(
    /// How operations progress: finished within the accepting request, after
    /// modelled durations on the system clock (scaled), or only when a test
    /// moves the emulator's virtual clock.
    Timing {
        Instant = "instant",
        Realistic = "realistic",
        Manual = "manual",
    }
);

impl std::str::FromStr for Timing {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s).ok_or_else(|| format!("expected one of: {}", Self::ALL.join(", ")))
    }
}
