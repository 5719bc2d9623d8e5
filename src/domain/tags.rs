//! ARM's tag limits: at most 50 pairs, names up to 512 characters without
//! `< > % & \ ? /`, values up to 256 characters.

use std::collections::BTreeMap;

use super::DomainError;

pub type Tags = BTreeMap<String, String>;

pub const MAX_TAGS: usize = 50;
pub const MAX_NAME: usize = 512;
pub const MAX_VALUE: usize = 256;

pub fn validate(tags: &Tags) -> Result<(), DomainError> {
    if tags.len() > MAX_TAGS {
        return Err(DomainError::InvalidTag {
            code: "InvalidTagCount",
            message: format!(
                "The number of tags {} exceeds the maximum of {MAX_TAGS} tags per resource.",
                tags.len()
            ),
        });
    }
    for (name, value) in tags {
        if name.is_empty() || name.chars().count() > MAX_NAME {
            return Err(DomainError::InvalidTag {
                code: "InvalidTagNameLength",
                message: format!(
                    "The tag name '{name}' must be between 1 and {MAX_NAME} characters long."
                ),
            });
        }
        if name
            .chars()
            .any(|c| matches!(c, '<' | '>' | '%' | '&' | '\\' | '?' | '/') || c.is_control())
        {
            return Err(DomainError::InvalidTag {
                code: "InvalidTagNameCharacters",
                message: format!(
                    "The tag names '{name}' have reserved characters '<,>,%,&,\\,?,/' or control characters."
                ),
            });
        }
        if value.chars().count() > MAX_VALUE {
            return Err(DomainError::InvalidTag {
                code: "InvalidTagValueLength",
                message: format!(
                    "The tag value for tag name '{name}' exceeds the maximum length of {MAX_VALUE} characters."
                ),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(name: &str, value: &str) -> Tags {
        Tags::from([(name.to_string(), value.to_string())])
    }

    #[test]
    fn tags_within_limits_pass_and_each_limit_has_its_code() {
        assert!(validate(&one("env", "test")).is_ok());
        let many: Tags = (0..51).map(|i| (format!("k{i}"), String::new())).collect();
        let code = |r: Result<(), DomainError>| match r {
            Err(DomainError::InvalidTag { code, .. }) => code,
            other => panic!("unexpected {other:?}"),
        };
        assert_eq!(code(validate(&many)), "InvalidTagCount");
        assert_eq!(
            code(validate(&one(&"k".repeat(513), ""))),
            "InvalidTagNameLength"
        );
        assert_eq!(code(validate(&one("a/b", ""))), "InvalidTagNameCharacters");
        assert_eq!(
            code(validate(&one("k", &"v".repeat(257)))),
            "InvalidTagValueLength"
        );
    }
}
