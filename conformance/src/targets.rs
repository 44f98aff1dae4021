//! Every target by its `--target` name: how to make it inside a job's namespace, and the
//! deviations shipped for it.

use crate::args::TargetKind;
use crate::exec_target::{adapter_program, ExecEngine, ExecTarget};
use crate::impl_target::{replay_config, ImplStack, ImplTarget};
use crate::linux::{LinuxStack, LinuxTarget};
use crate::smoltcp_target::{SmoltcpEngine, SmoltcpTarget};
use crate::stack::Stack;
use crate::target::Target;
use anyhow::Context;

/// The deviations of the Linux target as shipped with this crate.
pub const LINUX_DEVIATIONS: &str = include_str!("../deviations/linux.yaml");

/// The deviations of the `impl` target (the userspace stack in impl/) as shipped.
pub const IMPL_DEVIATIONS: &str = include_str!("../deviations/impl.yaml");

/// The deviations of the `smoltcp` target as shipped.
pub const SMOLTCP_DEVIATIONS: &str = include_str!("../deviations/smoltcp.yaml");

/// The deviations of the `lwip` target as shipped.
pub const LWIP_DEVIATIONS: &str = include_str!("../deviations/lwip.yaml");

/// The shipped deviations of a target and the file they come from; `None` for an `exec:`
/// target (its deviations come with `--deviations`).
pub fn shipped_deviations(kind: &TargetKind) -> Option<(&'static str, &'static str)> {
    match kind {
        TargetKind::Linux => Some((LINUX_DEVIATIONS, "conformance/deviations/linux.yaml")),
        TargetKind::Impl => Some((IMPL_DEVIATIONS, "conformance/deviations/impl.yaml")),
        TargetKind::Smoltcp => Some((SMOLTCP_DEVIATIONS, "conformance/deviations/smoltcp.yaml")),
        TargetKind::Lwip => Some((LWIP_DEVIATIONS, "conformance/deviations/lwip.yaml")),
        TargetKind::Exec(_) => None,
    }
}

/// Make the target in the calling thread's private network namespace.
pub fn make_target(kind: &TargetKind) -> anyhow::Result<Box<dyn Target>> {
    Ok(match kind {
        TargetKind::Linux => {
            Box::new(LinuxTarget::new().context("set up the Linux target (TUN device)")?)
        }
        TargetKind::Impl => Box::new(
            ImplTarget::new().context("set up the impl target (TUN device, stack, AF_PACKET)")?,
        ),
        TargetKind::Smoltcp => Box::new(
            SmoltcpTarget::new()
                .context("set up the smoltcp target (TUN device, stack, AF_PACKET)")?,
        ),
        TargetKind::Lwip => {
            let (adapter, mut args) = lwip_adapter()?;
            args.extend(["--stack".to_string(), "lwip".to_string()]);
            Box::new(
                ExecTarget::spawn(&adapter, &args, "lwip")
                    .context("set up the lwip target (TUN device, exec adapter, AF_PACKET)")?,
            )
        }
        TargetKind::Exec(c) => Box::new(
            ExecTarget::spawn(&c.program, &c.args, &kind.name())
                .with_context(|| format!("set up the exec target {}", c.program))?,
        ),
    })
}

/// Make a target's stack, without the replayer's application layer, in the calling thread's
/// private network namespace (for `tcpspec attack`, which drives the socket primitives
/// itself). `impl_config` configures the `impl` stack (default: the replay configuration).
pub fn make_stack(
    kind: &TargetKind,
    impl_config: Option<tcp_impl::Config>,
) -> anyhow::Result<Box<dyn Stack>> {
    Ok(match kind {
        TargetKind::Linux => {
            Box::new(LinuxStack::new().context("set up the Linux target (TUN device)")?)
        }
        TargetKind::Impl => Box::new(
            ImplStack::on_tun(impl_config.unwrap_or_else(replay_config))
                .context("set up the impl target (TUN device, stack, AF_PACKET)")?,
        ),
        TargetKind::Smoltcp => Box::new(
            SmoltcpEngine::on_tun()
                .context("set up the smoltcp target (TUN device, stack, AF_PACKET)")?,
        ),
        TargetKind::Lwip => {
            let (program, mut args) = lwip_adapter()?;
            args.extend(["--stack".to_string(), "lwip".to_string()]);
            Box::new(
                ExecEngine::on_tun(&program, &args, "lwip")
                    .context("set up the lwip target (TUN device, exec adapter, AF_PACKET)")?,
            )
        }
        TargetKind::Exec(c) => Box::new(
            ExecEngine::on_tun(&c.program, &c.args, &kind.name())
                .with_context(|| format!("set up the exec target {}", c.program))?,
        ),
    })
}

/// The exec adapter that runs lwIP, as a program and its leading arguments.
fn lwip_adapter() -> anyhow::Result<(String, Vec<String>)> {
    let (adapter, args) = adapter_program().context("find the exec adapter for the lwip target")?;
    Ok((adapter.to_string_lossy().into_owned(), args))
}
