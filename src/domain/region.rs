//! Azure's public regions: canonical name, display name and whether it has
//! availability zones. Locations on the wire are matched by either form,
//! case- and space-insensitively, and stored in canonical form.

pub struct Region {
    pub name: &'static str,
    pub display_name: &'static str,
    pub has_zones: bool,
}

const fn r(name: &'static str, display_name: &'static str, has_zones: bool) -> Region {
    Region {
        name,
        display_name,
        has_zones,
    }
}

pub static REGIONS: &[Region] = &[
    r("australiacentral", "Australia Central", false),
    r("australiacentral2", "Australia Central 2", false),
    r("australiaeast", "Australia East", true),
    r("australiasoutheast", "Australia Southeast", false),
    r("austriaeast", "Austria East", true),
    r("belgiumcentral", "Belgium Central", true),
    r("brazilsouth", "Brazil South", true),
    r("brazilsoutheast", "Brazil Southeast", false),
    r("canadacentral", "Canada Central", true),
    r("canadaeast", "Canada East", false),
    r("centralindia", "Central India", true),
    r("centralus", "Central US", true),
    r("centraluseuap", "Central US EUAP", true),
    r("chilecentral", "Chile Central", true),
    r("eastasia", "East Asia", true),
    r("eastus", "East US", true),
    r("eastus2", "East US 2", true),
    r("eastus2euap", "East US 2 EUAP", true),
    r("francecentral", "France Central", true),
    r("francesouth", "France South", false),
    r("germanynorth", "Germany North", false),
    r("germanywestcentral", "Germany West Central", true),
    r("indonesiacentral", "Indonesia Central", true),
    r("israelcentral", "Israel Central", true),
    r("italynorth", "Italy North", true),
    r("japaneast", "Japan East", true),
    r("japanwest", "Japan West", true),
    r("jioindiacentral", "Jio India Central", false),
    r("jioindiawest", "Jio India West", false),
    r("koreacentral", "Korea Central", true),
    r("koreasouth", "Korea South", false),
    r("malaysiawest", "Malaysia West", true),
    r("mexicocentral", "Mexico Central", true),
    r("newzealandnorth", "New Zealand North", true),
    r("northcentralus", "North Central US", false),
    r("northeurope", "North Europe", true),
    r("norwayeast", "Norway East", true),
    r("norwaywest", "Norway West", false),
    r("polandcentral", "Poland Central", true),
    r("qatarcentral", "Qatar Central", true),
    r("southafricanorth", "South Africa North", true),
    r("southafricawest", "South Africa West", false),
    r("southcentralus", "South Central US", true),
    r("southeastasia", "Southeast Asia", true),
    r("southindia", "South India", false),
    r("spaincentral", "Spain Central", true),
    r("swedencentral", "Sweden Central", true),
    r("swedensouth", "Sweden South", false),
    r("switzerlandnorth", "Switzerland North", true),
    r("switzerlandwest", "Switzerland West", false),
    r("uaecentral", "UAE Central", false),
    r("uaenorth", "UAE North", true),
    r("uksouth", "UK South", true),
    r("ukwest", "UK West", false),
    r("westcentralus", "West Central US", false),
    r("westeurope", "West Europe", true),
    r("westindia", "West India", false),
    r("westus", "West US", false),
    r("westus2", "West US 2", true),
    r("westus3", "West US 3", true),
];

/// Finds a region by canonical name (`eastus2`) or display name (`East US 2`),
/// ignoring case and spaces, as ARM does.
pub fn find(location: &str) -> Option<&'static Region> {
    let wanted: String = location
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    REGIONS.iter().find(|r| r.name == wanted)
}

pub fn names() -> impl Iterator<Item = &'static str> {
    REGIONS.iter().map(|r| r.name)
}

/// Resolves the `location` of a PUT body: required, and one of the catalogue.
pub fn resolve(
    location: Option<&str>,
    type_name: &'static str,
) -> Result<&'static Region, super::DomainError> {
    let location = location.ok_or(super::DomainError::LocationRequired)?;
    find(location).ok_or_else(|| super::DomainError::LocationNotAvailable {
        location: location.to_string(),
        type_name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_and_canonical_names_resolve_to_the_same_region() {
        assert_eq!(find("East US 2").map(|r| r.name), Some("eastus2"));
        assert_eq!(find("EASTUS2").map(|r| r.name), Some("eastus2"));
        assert!(find("moon").is_none());
    }

    #[test]
    fn canonical_names_are_unique_and_match_their_display_names() {
        let mut seen = std::collections::HashSet::new();
        for region in REGIONS {
            assert!(seen.insert(region.name), "{} listed twice", region.name);
            let squashed: String = region
                .display_name
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            assert_eq!(squashed.to_ascii_lowercase(), region.name);
        }
    }
}
