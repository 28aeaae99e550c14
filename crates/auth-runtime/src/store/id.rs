//! Primary keys the application writes.

use std::fmt;

use crate::wire;

/// Produces ids for new rows when the schema's id strategy is `text`.
pub trait IdGenerator: Send + Sync + fmt::Debug {
    /// A new id for a row of `model` (logical model key).
    fn generate(&self, model: &str) -> String;
}

/// better-auth's default: `generateId(32)`, 32 characters of `[a-zA-Z0-9]` ([`wire::id`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct RandomId;

impl IdGenerator for RandomId {
    fn generate(&self, _model: &str) -> String {
        wire::id::generate()
    }
}

/// A version 4 UUID in its text form (ids under `id = "uuid"`, as `crypto.randomUUID()`).
pub(crate) fn uuid_v4() -> String {
    let mut b = [0u8; 16];
    wire::id::fill_random(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_better_auths_shape() {
        let a = RandomId.generate("user");
        assert_eq!(a.len(), 32);
        assert_ne!(a, RandomId.generate("user"));
        let uuid = uuid_v4();
        assert_eq!(uuid.len(), 36);
        assert_eq!(&uuid[14..15], "4");
        assert!(matches!(&uuid[19..20], "8" | "9" | "a" | "b"), "{uuid}");
    }
}
