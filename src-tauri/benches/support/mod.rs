//! Pieces of the release bench: `/proc` readings and the result table.

pub mod memory;
pub mod table;
