//! Private network namespaces bound to one thread.
//!
//! `unshare(CLONE_NEWNET)` moves only the calling thread into a new namespace (see
//! unshare(2)); every socket and TUN device that thread opens afterwards lives in that
//! namespace, and threads it spawns inherit it. The namespace is destroyed by the kernel when
//! no thread is in it and no fd opened in it remains.

use crate::{Error, Rtnetlink};
use std::thread::{self, JoinHandle};

/// Index of the loopback device in a fresh network namespace.
const LOOPBACK_INDEX: u32 = 1;

/// How to get the privilege `unshare(CLONE_NEWNET)` needs.
const PRIVILEGE_HINT: &str = "creating a network namespace needs CAP_SYS_ADMIN: run as root \
(CI does), or run the whole command inside a user namespace, e.g. \
`unshare --user --map-root-user --net -- cargo test`, which needs unprivileged user \
namespaces enabled (sysctl user.max_user_namespaces > 0, and on Debian/Ubuntu \
kernel.unprivileged_userns_clone=1 or kernel.apparmor_restrict_unprivileged_userns=0); \
/dev/net/tun must then also be accessible to your user";

/// Move the calling thread into a fresh, private network namespace and bring `lo` up there.
///
/// Only this thread (and threads it spawns later) is affected. Call it on a thread you own and
/// that ends when you are done (never on a pooled thread or the main thread of a program that
/// still needs the host's network). The namespace is empty apart from `lo`: no route leads
/// out of it, so nothing sent in it can reach the machine's own network.
///
/// Errors name the failed step; a missing privilege gives an error whose message says how to
/// run (as root, or inside `unshare --user --map-root-user --net`). An unprivileged process
/// cannot make the user namespace itself here, because `CLONE_NEWUSER` requires a
/// single-threaded process (unshare(2)).
pub fn enter_private_netns() -> Result<(), Error> {
    // SAFETY: unshare only changes the calling thread's namespace membership.
    let rc = unsafe { libc::unshare(libc::CLONE_NEWNET) };
    if rc != 0 {
        let err = Error::last_os("unshare(CLONE_NEWNET) to create a private network namespace");
        return Err(match err.source.raw_os_error() {
            Some(libc::EPERM) | Some(libc::EACCES) => err.with_hint(PRIVILEGE_HINT),
            _ => err,
        });
    }
    let mut rt = Rtnetlink::open()?;
    rt.set_link_up(LOOPBACK_INDEX).map_err(|e| {
        Error::new(
            format!("bring lo up in the new namespace ({})", e.operation),
            e.source,
        )
    })?;
    Ok(())
}

/// Spawn a named thread that enters a private network namespace and then runs `f`.
///
/// The thread's result is `Err` if the namespace could not be made (see
/// [`enter_private_netns`]), otherwise whatever `f` returns. When the thread ends and the fds
/// it opened are closed, the namespace and everything in it disappear.
pub fn spawn_in_private_netns<F, T, E>(
    name: &str,
    f: F,
) -> std::io::Result<JoinHandle<Result<T, E>>>
where
    F: FnOnce() -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<Error> + Send + 'static,
{
    thread::Builder::new()
        .name(name.to_string())
        .spawn(move || {
            enter_private_netns()?;
            f()
        })
}

/// Run `f` on a fresh thread inside a private network namespace and return its result.
///
/// A panic in `f` is propagated to the caller (so a failing assertion in a test still fails
/// the test). The namespace is gone when this returns, provided `f` did not hand fds out.
pub fn run_in_private_netns<F, T, E>(f: F) -> Result<T, E>
where
    F: FnOnce() -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<Error> + Send + 'static,
{
    let handle = spawn_in_private_netns("netns", f)
        .map_err(|e| E::from(Error::new("spawn the namespace thread", e)))?;
    match handle.join() {
        Ok(result) => result,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}
