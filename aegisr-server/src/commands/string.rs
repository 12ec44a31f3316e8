//! (family file; filled in below)

use super::table::CommandSpec;

pub(super) const COMMANDS: &[CommandSpec] = &[];
