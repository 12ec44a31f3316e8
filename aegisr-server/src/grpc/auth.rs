//! gRPC credentials: a call carries `authorization: <user> <password>` metadata (or
//! `<password>` alone, for the default user), checked as AUTH checks them. Without it a
//! call runs as the default user, which is refused (UNAUTHENTICATED, with the NOAUTH
//! text) while that user needs a password. The Data service's commands run with the
//! user's permissions; the Admin service, being the operator's, needs a user allowed
//! every command. Protected mode refuses calls from other hosts while the default user
//! has no password, as on the RESP door.

use std::sync::Arc;

use tonic::{Request, Status};

use crate::acl::{self, UserHandle};
use crate::server::Server;

/// The metadata key of the credentials.
pub const AUTHORIZATION: &str = "authorization";

/// The user a call authenticated as, put in its extensions by the interceptor.
#[derive(Clone)]
pub struct CallUser(pub Arc<UserHandle>);

/// The user `request` authenticated as (`None`: the default user, which needs no
/// password), or the status refusing it.
fn authenticate<T>(server: &Server, request: &Request<T>) -> Result<Option<Arc<UserHandle>>, Status> {
    let acl = &server.acl;
    // Protected mode holds for this door too: no password, no other hosts.
    if request.remote_addr().is_some_and(|peer| crate::resp::listener::protected(server, peer)) {
        let denied = crate::resp::listener::DENIED.trim_start_matches('-').trim_end();
        return Err(Status::permission_denied(denied));
    }
    let Some(value) = request.metadata().get(AUTHORIZATION) else {
        return if acl.auth_required() { Err(Status::unauthenticated(acl::NOAUTH)) } else { Ok(None) };
    };
    let text = value.as_bytes();
    // A user name has no space; the password is the rest, spaces included.
    let (user, password) = match text.iter().position(|&b| b == b' ') {
        Some(at) => (&text[..at], &text[at + 1..]),
        None => (&b"default"[..], text),
    };
    acl.authenticate(user, password).map(Some).ok_or_else(|| Status::unauthenticated(acl::WRONGPASS))
}

/// The Data service's interceptor: checks the credentials and hands the user on.
pub fn data(server: Arc<Server>) -> impl FnMut(Request<()>) -> Result<Request<()>, Status> + Clone {
    move |mut request: Request<()>| {
        if let Some(user) = authenticate(&server, &request)? {
            request.extensions_mut().insert(CallUser(user));
        }
        Ok(request)
    }
}

/// The Admin service's interceptor: the user must be allowed every command.
pub fn admin(server: Arc<Server>) -> impl FnMut(Request<()>) -> Result<Request<()>, Status> + Clone {
    move |request: Request<()>| {
        let user = authenticate(&server, &request)?;
        let handle = user.as_ref().unwrap_or(server.acl.default_user());
        if !handle.user().root.allows_all_commands() {
            return Err(Status::permission_denied("NOPERM this user has no permissions to use the Admin service"));
        }
        Ok(request)
    }
}
