//! Resource groups (`Microsoft.Resources/resourceGroups`): a location, tags
//! and optionally the id of what manages them.

use serde::{Deserialize, Serialize};

use super::DomainError;
use super::tags::{self, Tags};

pub const TYPE_NAME: &str = "Microsoft.Resources/resourceGroups";

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceGroup {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Tags>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_by: Option<String>,
}

pub fn build(tags: Option<Tags>, managed_by: Option<String>) -> Result<ResourceGroup, DomainError> {
    if let Some(tags) = &tags {
        tags::validate(tags)?;
    }
    Ok(ResourceGroup { tags, managed_by })
}
