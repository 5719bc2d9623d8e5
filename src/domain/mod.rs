//! The rules of the gallery control plane as pure functions: given the
//! request, the stored state and `now`, decide. No IO, no HTTP, no SQL.

pub mod application;
pub mod gallery;
pub mod identity;
pub mod image;
pub mod image_version;
pub mod names;
pub mod operation;
pub mod quota;
pub mod region;
pub mod replication;
pub mod resource_group;
pub mod source;
pub mod tags;

/// Why a request is refused, in the domain's words; `arm::error` maps each
/// variant to its ARM status and code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("{message}")]
    InvalidParameter { target: String, message: String },
    #[error("{message}")]
    InvalidTag { code: &'static str, message: String },
    #[error("location '{location}' is not available for {type_name}")]
    LocationNotAvailable {
        location: String,
        type_name: &'static str,
    },
    #[error("location is required")]
    LocationRequired,
    #[error("resource {name} already exists in {existing}")]
    LocationChange {
        name: String,
        resource_group: String,
        existing: String,
        requested: String,
    },
    #[error("changing {path} is not allowed")]
    PropertyChangeNotAllowed { path: String },
    #[error("gallery name {name} is not unique in {subscription}")]
    GalleryNameNotUnique { name: String, subscription: String },
    #[error("quota of {limit} {resource} in {location} exceeded")]
    QuotaExceeded {
        resource: &'static str,
        limit: i64,
        location: String,
    },
    #[error("nested resources must be deleted first")]
    CannotDeleteResource,
    #[error("source {id} not found in the version's region")]
    SourceNotFound { id: String },
    #[error("{feature} is not yet supported")]
    NotYetSupported { feature: String, target: String },
}

impl DomainError {
    pub fn invalid(target: impl Into<String>, message: impl Into<String>) -> Self {
        DomainError::InvalidParameter {
            target: target.into(),
            message: message.into(),
        }
    }
}

/// `provisioningState` of a tracked resource, as the contract spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProvisioningState {
    Creating,
    Updating,
    Failed,
    Succeeded,
    Deleting,
    Migrating,
}

impl ProvisioningState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Creating => "Creating",
            Self::Updating => "Updating",
            Self::Failed => "Failed",
            Self::Succeeded => "Succeeded",
            Self::Deleting => "Deleting",
            Self::Migrating => "Migrating",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Creating,
            Self::Updating,
            Self::Failed,
            Self::Succeeded,
            Self::Deleting,
            Self::Migrating,
        ]
        .into_iter()
        .find(|p| p.as_str() == s)
    }
}

/// Defines a string enum of the contract: parsed case-insensitively,
/// written back in the contract's canonical spelling.
macro_rules! arm_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [&'static str] = &[$($text),+];

            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }

            pub fn parse(s: &str) -> Option<Self> {
                $(if s.eq_ignore_ascii_case($text) { return Some(Self::$variant); })+
                None
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                Self::parse(&text).ok_or_else(|| {
                    serde::de::Error::custom(format_args!(
                        "the value '{}' is not one of the allowed values '{}'",
                        text,
                        Self::ALL.join("', '")
                    ))
                })
            }
        }
    };
}
pub(crate) use arm_enum;
