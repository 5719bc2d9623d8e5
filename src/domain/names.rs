//! Name rules for the resources the emulator serves.

use super::DomainError;

/// Gallery names: 1–80 characters, English letters, digits, `_` and `.`,
/// starting with a letter or digit and not ending with `.` (no dashes).
pub fn validate_gallery_name(name: &str) -> Result<(), DomainError> {
    let ok = (1..=80).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
        && name.as_bytes()[0].is_ascii_alphanumeric()
        && !name.ends_with('.');
    if ok {
        Ok(())
    } else {
        Err(DomainError::invalid(
            "galleryName",
            "Gallery name is invalid. Allowed characters are English alphanumeric characters, with underscores, and periods allowed in the middle, up to 80 characters total. All other special characters, including dashes, are disallowed.",
        ))
    }
}

/// Resource group names: 1–90 characters of letters, digits, `_`, `-`, `.`,
/// `(` and `)`, not ending with `.`.
pub fn validate_resource_group_name(name: &str) -> Result<(), DomainError> {
    let ok = (1..=90).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '(' | ')'))
        && !name.ends_with('.');
    if ok {
        Ok(())
    } else {
        Err(DomainError::invalid(
            "resourceGroupName",
            format!(
                "Resource group name '{name}' is invalid. It must be 1-90 characters of letters, digits, underscores, hyphens, periods and parentheses, and cannot end with a period."
            ),
        ))
    }
}

/// Image definition and application names: 1–80 characters of letters,
/// digits, `_`, `-` and `.`, starting with a letter or digit and not ending
/// with `-` or `.` (the contract's `^[^_\W][\w-._]{0,79}(?<![-.])$`).
pub fn validate_artifact_name(name: &str, target: &str) -> Result<(), DomainError> {
    let ok = (1..=80).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        && name.as_bytes()[0].is_ascii_alphanumeric()
        && !name.ends_with(['-', '.']);
    if ok {
        Ok(())
    } else {
        Err(DomainError::invalid(
            target,
            format!(
                "The entity name '{name}' is invalid according to its validation rule: ^[^_\\W][\\w-._]{{0,79}}(?<![-.])$."
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gallery_names_follow_the_contract() {
        for good in [
            "a",
            "myGallery",
            "my_gallery.v1",
            "1gal",
            &"a".repeat(80),
            "gal_",
        ] {
            assert!(
                validate_gallery_name(good).is_ok(),
                "{good} should be valid"
            );
        }
        for bad in [
            "",
            "_gal",
            ".gal",
            "gal.",
            "my-gallery",
            "gal ery",
            "gäl",
            &"a".repeat(81),
        ] {
            assert!(
                validate_gallery_name(bad).is_err(),
                "{bad} should be invalid"
            );
        }
    }

    #[test]
    fn image_names_allow_dashes_but_not_at_the_end() {
        assert!(validate_artifact_name("my-image_1.0", "galleryImageName").is_ok());
        for bad in ["-x", "_x", "x-", "x.", "", "a b", &"a".repeat(81)] {
            assert!(
                validate_artifact_name(bad, "galleryImageName").is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn resource_group_names_follow_arm() {
        assert!(validate_resource_group_name("rg-1_(x).y").is_ok());
        assert!(validate_resource_group_name("rg.").is_err());
        assert!(validate_resource_group_name("rg/x").is_err());
        assert!(validate_resource_group_name(&"r".repeat(91)).is_err());
    }
}
