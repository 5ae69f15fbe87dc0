//! The Starling binaries: `starling` (a standalone cluster: one FE and N BEs as
//! child processes), `starling-fe` and `starling-be`.
//!
//! The role entry points live here so that `starling` can re-execute itself as
//! an FE or a BE child, and the dedicated binaries stay thin.

pub mod roles;
pub mod standalone;
