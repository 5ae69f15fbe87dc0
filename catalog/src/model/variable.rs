//! Global system variables set with `SET GLOBAL`.

use serde::{Deserialize, Serialize};

/// A global variable's value, as text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GlobalVariable {
    /// Lower-case variable name.
    pub name: String,
    /// Value as `SHOW GLOBAL VARIABLES` prints it.
    pub value: String,
}
