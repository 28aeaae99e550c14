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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_better_auths_shape() {
        let a = RandomId.generate("user");
        assert_eq!(a.len(), 32);
        assert_ne!(a, RandomId.generate("user"));
    }
}
