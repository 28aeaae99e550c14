//! better-auth's scrypt parameters (`N = 16384, r = 16, p = 1, dkLen = 64`) on scrypt-opt's
//! fixed-r kernel. The password format, its normalisation and the salt are the caller's
//! (`auth_runtime::wire::password`); this crate only derives keys.

use std::num::NonZeroU8;

use allocator_api2::alloc::System;
use allocator_api2::vec::Vec;
use scrypt_opt::fixed_r::{Block, BufferSet, minimum_blocks};
use scrypt_opt::generic_array::typenum::U16;
use scrypt_opt::memory::Align64;
use scrypt_opt::pbkdf2_1::Pbkdf2HmacSha256State;
use sha2::{Digest as _, Sha256};

/// better-auth's scrypt cost: N = 2^14.
const LOG_N: NonZeroU8 = match NonZeroU8::new(14) {
    Some(n) => n,
    None => panic!("14 is not zero"),
};
/// better-auth's scrypt block size, r = 16, as the kernel's type parameter (p = 1).
type R = U16;
/// HMAC-SHA-256's block size in bytes.
const HMAC_BLOCK: usize = 64;

/// better-auth's derived key length in bytes (128 hex digits).
pub const KEY_LEN: usize = 64;

/// The 32 MiB that one scrypt run works in (N = 16384 blocks of 128·r bytes). Allocating and
/// faulting in a fresh one costs about a third of a hash, so a server hands one from hash to
/// hash while sign-ins queue. A run overwrites every block before it reads one: nothing of an
/// earlier hash is used.
///
/// The buffer comes from the system allocator whatever the program's global allocator is: glibc
/// maps a block this size on its own and unmaps it when it is freed, so a server whose sign-ins
/// have stopped holds none of it. A caching allocator (mimalloc, which `auth-cli` uses) would keep
/// every freed buffer resident in the heap of the blocking thread that freed it: 155 MiB peak RSS
/// under 16 connections of sign-in instead of 90 MiB.
pub struct Blocks(Box<BufferSet<SystemVec, R>>);

/// The blocks of one run, in the system allocator.
type SystemVec = Vec<Align64<Block<R>>, System>;

impl Blocks {
    /// A fresh buffer.
    #[must_use]
    pub fn new() -> Self {
        let mut blocks = Vec::new_in(System);
        blocks.resize(minimum_blocks(LOG_N), Align64::<Block<R>>::default());
        Self(Box::new(BufferSet::new(blocks)))
    }
}

impl Default for Blocks {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Blocks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Blocks(32 MiB)")
    }
}

/// `scrypt(password, salt, N = 16384, r = 16, p = 1, dkLen = 64)` in `blocks`: PBKDF2 scatters
/// the input into the block buffer, RoMix runs over it, PBKDF2 gathers the key.
#[must_use]
pub fn derive_key(blocks: &mut Blocks, password: &[u8], salt: &[u8]) -> [u8; KEY_LEN] {
    // HMAC-SHA-256 replaces a key longer than its 64-byte block by the key's SHA-256 (RFC 2104
    // §2), so this is the same PBKDF2; done here because scrypt-opt 0.3.2 panics on such keys
    // (its `Pbkdf2HmacSha256State::new` copies each digest byte into 4 bytes).
    let pbkdf2 = if password.len() > HMAC_BLOCK {
        Pbkdf2HmacSha256State::new(&Sha256::digest(password))
    } else {
        Pbkdf2HmacSha256State::new(password)
    };
    let blocks = &mut blocks.0;
    blocks.set_input(&pbkdf2, salt);
    blocks.scrypt_ro_mix();
    let mut key = [0u8; KEY_LEN];
    blocks.extract_output(&pbkdf2, &mut key);
    key
}
