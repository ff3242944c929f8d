//! TTree/TBranch metadata and TBasket entry reading on top of `rootfile`: what the DQMIO trees need.

mod basket;
mod branch;
mod tree;

pub use basket::{Basket, EntrySpan, SpanEntry};
pub use branch::{Branch, BranchKind, Leaf};
pub use tree::{values, EntryCursor, Tree};
