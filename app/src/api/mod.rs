//! Server functions, one file per resource. Thin: who is asking → store/policy → DTO.

pub mod registry;
pub mod session;

#[cfg(feature = "ssr")]
mod context;
