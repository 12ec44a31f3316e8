//! CLIENT REPLY (ON | OFF | SKIP) and CLIENT UNBLOCK. The RESP door drops the replies a
//! client does not want (see [`settle`]); pushes (pub/sub messages, invalidations) still
//! reach it, as in Redis.

use bytes::BytesMut;

use super::Ctx;
use super::args::{int, is};
use super::errors::{CommandError, CommandResult};
use super::table::CommandSpec;
use crate::server::Door;
use crate::server::unblock::Unblock;

/// Which replies the client wants.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ReplyMode {
    #[default]
    On,
    /// CLIENT REPLY OFF: none, until CLIENT REPLY ON.
    Off,
    /// CLIENT REPLY SKIP has just run: the next command's reply is dropped.
    SkipNext,
    /// This command's reply is dropped.
    Skip,
}

/// Drops the reply written from `at` on by the command that `ran`, as the mode says, and
/// moves SKIP on. The door calls it after each command only while the mode is not `On`.
/// The confirmations of (UN)SUBSCRIBE and their kin are kept: Redis sends them as pushes,
/// which the mode does not silence.
pub fn settle(mode: &mut ReplyMode, output: &mut BytesMut, at: usize, ran: Option<&CommandSpec>) {
    match *mode {
        ReplyMode::On => return,
        ReplyMode::Off => {}
        ReplyMode::SkipNext => *mode = ReplyMode::Skip,
        ReplyMode::Skip => *mode = ReplyMode::On,
    }
    let pushes = ran.is_some_and(|spec| {
        matches!(spec.name, "subscribe" | "psubscribe" | "ssubscribe" | "unsubscribe" | "punsubscribe" | "sunsubscribe")
    });
    if !pushes {
        output.truncate(at);
    }
}

/// CLIENT REPLY: OFF and SKIP reply nothing (their own reply is suppressed too); ON
/// replies OK. SKIP while OFF changes nothing.
pub(super) fn client_reply(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let mode = if is(args[2], "on") {
        ReplyMode::On
    } else if is(args[2], "off") {
        ReplyMode::Off
    } else if is(args[2], "skip") {
        ReplyMode::SkipNext
    } else {
        return Err(CommandError::Syntax);
    };
    if ctx.session.client.door == Door::Grpc {
        return Err(CommandError::err("CLIENT REPLY is not supported over gRPC"));
    }
    match mode {
        ReplyMode::On => {
            ctx.session.reply = ReplyMode::On;
            ctx.out.ok();
        }
        ReplyMode::SkipNext if ctx.session.reply == ReplyMode::Off => {}
        mode => ctx.session.reply = mode,
    }
    Ok(())
}

/// CLIENT UNBLOCK id [TIMEOUT | ERROR]: 1 if the client was blocked and now answers.
pub(super) fn client_unblock(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    if args.len() > 4 {
        return Err(CommandError::err(format!(
            "unknown subcommand or wrong number of arguments for '{}'. Try CLIENT HELP.",
            String::from_utf8_lossy(args[1])
        )));
    }
    let how = match args.get(3) {
        None => Unblock::Timeout,
        Some(reason) if is(reason, "timeout") => Unblock::Timeout,
        Some(reason) if is(reason, "error") => Unblock::Error,
        Some(_) => return Err(CommandError::err("CLIENT UNBLOCK reason should be TIMEOUT or ERROR")),
    };
    let id = int(args[2])?;
    let client = u64::try_from(id).ok().and_then(|id| ctx.server.clients.get(id));
    ctx.out.integer(i64::from(client.is_some_and(|c| c.blocking.unblock(how))));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skip_drops_one_reply_and_off_all() {
        let mut out = BytesMut::from(&b"+A\r\n"[..]);
        let mut mode = ReplyMode::SkipNext;
        settle(&mut mode, &mut out, 4, None);
        assert_eq!(mode, ReplyMode::Skip);
        out.extend_from_slice(b"+B\r\n");
        settle(&mut mode, &mut out, 4, None);
        assert_eq!((&out[..], mode), (&b"+A\r\n"[..], ReplyMode::On));
        let mut mode = ReplyMode::Off;
        out.extend_from_slice(b"-ERR x\r\n");
        settle(&mut mode, &mut out, 4, None);
        assert_eq!((&out[..], mode), (&b"+A\r\n"[..], ReplyMode::Off));
    }
}
