//! (family file; its engineer fills it in)

use super::table::CommandSpec;

pub(super) const COMMANDS: &[CommandSpec] = &[];
