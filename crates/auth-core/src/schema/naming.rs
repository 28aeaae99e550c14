use heck::ToSnakeCase;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How logical names become physical table and column names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Naming {
    /// better-auth's own names, verbatim: `emailVerified`, `twoFactor`.
    #[default]
    Camel,
    /// `email_verified`, `two_factor`, `credential_id`.
    Snake,
}

impl Naming {
    /// The physical name for a logical model or field key.
    pub fn apply(self, logical: &str) -> String {
        match self {
            Self::Camel => logical.to_owned(),
            Self::Snake => logical.to_snake_case(),
        }
    }
}

/// The longest identifier every dialect accepts (PostgreSQL: 63 bytes; MySQL: 64 characters).
pub(crate) const MAX_IDENTIFIER: usize = 63;

/// `<table>_<col>[_<col>…]_<suffix>` (better-auth's index naming), shortened to
/// [`MAX_IDENTIFIER`] bytes with an FNV-1a hash of the full name when it is longer, so that two
/// long names never collide after truncation.
pub fn constraint_name(table: &str, columns: &[&str], suffix: &str) -> String {
    let mut base = table.to_owned();
    for column in columns {
        base.push('_');
        base.push_str(column);
    }
    let full = format!("{base}_{suffix}");
    if full.len() <= MAX_IDENTIFIER {
        return full;
    }
    let hash = format!("{:08x}", fnv1a32(full.as_bytes()));
    let keep = MAX_IDENTIFIER - hash.len() - suffix.len() - 2;
    let mut cut = keep.min(base.len());
    while !base.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}_{hash}_{suffix}", &base[..cut])
}

fn fnv1a32(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5_u32, |hash, byte| {
        (hash ^ u32::from(*byte)).wrapping_mul(0x0100_0193)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_names() {
        assert_eq!(Naming::Snake.apply("credentialID"), "credential_id");
        assert_eq!(Naming::Snake.apply("twoFactor"), "two_factor");
        assert_eq!(Naming::Snake.apply("requirePKCE"), "require_pkce");
        assert_eq!(Naming::Snake.apply("apikey"), "apikey");
        assert_eq!(Naming::Camel.apply("credentialID"), "credentialID");
    }

    #[test]
    fn short_names_are_kept() {
        assert_eq!(
            constraint_name("oauthClientResource", &["clientId", "resourceId"], "uidx"),
            "oauthClientResource_clientId_resourceId_uidx"
        );
    }

    #[test]
    fn long_names_are_shortened_and_distinct() {
        let a = constraint_name(&"t".repeat(50), &["a_rather_long_column_name_1"], "idx");
        let b = constraint_name(&"t".repeat(50), &["a_rather_long_column_name_2"], "idx");
        assert_eq!(a.len(), MAX_IDENTIFIER);
        assert_eq!(b.len(), MAX_IDENTIFIER);
        assert_ne!(a, b);
        assert!(a.ends_with("_idx"));
    }

    #[test]
    fn shortening_respects_utf8() {
        let name = constraint_name(&"é".repeat(40), &["c"], "idx");
        assert!(name.len() <= MAX_IDENTIFIER);
    }
}
