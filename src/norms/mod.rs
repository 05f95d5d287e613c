//! The norms' rules about words and numbers, in one place: what an agent
//! must never say (N13) and how a caller's number is shown to those who may
//! not see it (N16). docs/norms.md explains each norm.
//!
//! Two readers share these rules and must never disagree: the flow checker
//! (`callscript check`, which warns on a prompt that breaks them) and the
//! quality scorer (`quality`, which deducts for an agent's line that breaks
//! them). A prompt `check --strict` passes is therefore a line the scorer
//! does not deduct for; `tests/norms_agree.rs` holds every shipped prompt to
//! that. `flows/quality.toml` may add forbidden phrases for the scorer on
//! top of these; it can neither remove nor change one.
//!
//! This module depends on nothing else in the crate, so both readers (and
//! the gRPC edge and the records writer, which mask numbers) can use it
//! without tying themselves to each other.
//!
//! # Layout
//!
//! - `wording.rs`: forbidden phrases with their norm and what to say
//!   instead, answers that end on a 不-word, and the compact form in which
//!   words are compared (N13).
//! - `masking.rs`: the one rule for masking a number, alone or in free
//!   text, and what a `pii` variable shows (N16).
//! - `titles.rs`: a spoken prompt names one title for the caller, never
//!   the written 先生/小姐 (N3b, N6).

mod masking;
mod titles;
mod wording;

#[cfg(test)]
mod tests;

pub use masking::{HIDDEN, mask_digit_runs, mask_number};
pub use titles::{BOTH_TITLES_FIX, both_titles};
pub use wording::{
    FORBIDDEN, Finding, Forbidden, NEGATIVE_ENDINGS, Phrase, Wording, WordingError, compact,
    negative_ending,
};
