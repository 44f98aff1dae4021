//! Blind in-window attacks (RFC 5961): an off-path attacker who knows a connection's 4-tuple
//! but not its sequence numbers.
//!
//! The peer opens the attacked connection (accepted by the target's application) and a
//! second, idle one (left unaccepted), then sends the bulk transfer while the attacker sends
//! `count` segments as from the peer, spread over the transfer in proportion to the bytes
//! read: RSTs (RFC 5961 3), SYNs (4) or 64-octet data segments (5) with random sequence and
//! acknowledgment numbers. Reported:
//!
//! - whether the connection was reset, and the bytes the target's application read against
//!   the stream the peer sent (injected bytes: any that differ, or beyond the stream);
//! - the ACKs the attack drew, counted on the wire: the target's duplicate pure ACKs on the
//!   attacked connection, less the peer's own resent segments (each may draw one). For RSTs
//!   and SYNs these are RFC 5961's challenge ACKs (a RST outside the window is dropped
//!   silently); for data they also include RFC 9293's ACK of an unacceptable segment. Where
//!   the target counts its challenge ACKs itself (Linux, impl), that count is given too;
//! - whether the challenge-ACK limit is per connection (CVE-2016-5696 needs one limit shared
//!   by all connections): 1.1 s after the attack (Linux's limits count per second and per
//!   500 ms), 200 SYNs at RCV.NXT on the attacked connection, at once one SYN at RCV.NXT on
//!   the idle one; see [`Limit`].

use super::lab::{Lab, Reader, Stray};
use super::peer::{Peer, Phase};
use super::{open, pattern, pump_until, Kind, Options, Rng, TARGET};
use anyhow::{anyhow, Result};
use serde::Serialize;
use std::time::{Duration, Instant};
use tcp_impl::wire::{self, Flags, TcpHeader, TcpOptions};

/// The peer's port of the attacked connection.
pub const VICTIM_PORT: u16 = 40001;
/// SYNs that exhaust the challenge-ACK limit of one connection.
pub const LIMIT_SYNS: u64 = 200;
/// Attack segments between two turns of the wire.
const BATCH: u64 = 32;

/// The challenge-ACK limit, as [`LIMIT_SYNS`] SYNs on one connection and one on another
/// show it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Limit {
    /// Some but not all of the SYNs were answered, and so was the other connection's: the
    /// limit is per connection (no side channel).
    PerConnection,
    /// Some of the SYNs were answered, the other connection's was not: one limit for all
    /// connections, the side channel of CVE-2016-5696.
    Global,
    /// Every SYN was answered: no limit at all.
    Unlimited,
    /// None of the SYNs was answered: the target sends no challenge ACK to a SYN (RFC 5961
    /// 4.2), so its limit cannot be seen.
    NoChallengeAck,
}

/// The limit check's counts.
#[derive(Debug, Serialize)]
pub struct LimitCheck {
    /// SYNs at RCV.NXT on the attacked connection.
    pub syns: u64,
    /// ACKs the target sent on that connection in reply.
    pub answered: u64,
    /// ACKs it sent on the idle connection in reply to one SYN right after.
    pub other_connection_answered: u64,
    /// The verdict.
    pub verdict: Limit,
}

/// The result of a blind attack.
#[derive(Debug, Serialize)]
pub struct BlindReport {
    /// Segments the attacker sent.
    pub sent: u64,
    /// The attacked connection was reset (or its transfer ended early).
    pub connection_reset: bool,
    /// How the transfer ended.
    pub outcome: String,
    /// Bytes the peer sent (the stream).
    pub bytes_sent: u64,
    /// Bytes the target's application read.
    pub bytes_read: u64,
    /// Bytes read that differ from the stream, or that lie beyond it.
    pub injected_bytes: u64,
    /// The target's application read exactly the stream.
    pub data_verified: bool,
    /// ACKs the attack drew, counted on the wire (see the module's documentation).
    pub acks_drawn_on_wire: u64,
    /// Segments the peer sent again during the attack (subtracted above).
    pub peer_resent: u64,
    /// Challenge ACKs the target counted itself during the attack (`None`: it keeps no
    /// such count; the wire's count stands).
    pub challenge_acks_counted_by_target: Option<u64>,
    /// The challenge-ACK limit.
    pub limit: LimitCheck,
    /// Seconds from the first attack segment to the end of the transfer.
    pub seconds: f64,
}

/// Run a blind attack of `kind` in `lab` (the target listens on [`TARGET`]).
pub fn run(lab: &mut Lab, kind: Kind, options: &Options, rng: &mut Rng) -> Result<BlindReport> {
    let mut stray = Stray::default();
    let data = pattern(options.bulk);
    let mut victim = open(
        lab,
        VICTIM_PORT,
        rng.next() as u32,
        data.clone(),
        true,
        &mut stray,
    )?
    .map_err(|e| anyhow!("the attacked connection: {e}"))?;
    let mut idle = open(lab, 40002, rng.next() as u32, Vec::new(), false, &mut stray)?
        .map_err(|e| anyhow!("the idle connection: {e}"))?;
    let counted_before = lab.stack.defence_counters().challenge_acks;
    let (dup_before, resent_before) = (victim.duplicate_acks, victim.resent);
    let start = Instant::now();
    victim.hold = false;
    let mut reader = Reader::default();
    let mut sent = 0u64;
    let mut last = (0usize, Instant::now());
    loop {
        let ended = reader.got.len() >= data.len()
            || reader.error.is_some()
            || reader.eof
            || victim.phase() != Phase::Established
            || last.1.elapsed() > Duration::from_secs(5);
        let due = if ended || data.is_empty() {
            options.count
        } else {
            (u128::from(options.count) * reader.got.len() as u128 / data.len() as u128) as u64
        };
        let mut batch = 0;
        while sent < due && batch < BATCH {
            let packet = segment(kind, &victim, rng);
            lab.inject(&packet)?;
            sent += 1;
            batch += 1;
        }
        if ended && sent >= options.count {
            break;
        }
        lab.pump(&mut [&mut victim, &mut idle], &mut stray)?;
        reader.read(lab.stack.as_mut());
        if reader.got.len() != last.0 {
            last = (reader.got.len(), Instant::now());
        }
        if batch == 0 {
            lab.drain(Duration::from_micros(200))?;
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    // Every attack segment processed, and the replies read.
    lab.barrier(Duration::from_secs(5))?;
    settle(
        lab,
        &mut victim,
        &mut idle,
        &mut stray,
        Duration::from_millis(300),
    )?;
    reader.read(lab.stack.as_mut());
    let counted = match (counted_before, lab.stack.defence_counters().challenge_acks) {
        (Some(a), Some(b)) => Some(b.saturating_sub(a)),
        _ => None,
    };
    let resent = victim.resent - resent_before;
    let drawn = (victim.duplicate_acks - dup_before).saturating_sub(resent);
    let limit = limit_check(lab, &mut victim, &mut idle, &mut stray)?;
    let differing = reader.got.iter().zip(&data).filter(|(a, b)| a != b).count() as u64;
    let extra = (reader.got.len() as u64).saturating_sub(data.len() as u64);
    let outcome = match (&reader.error, victim.phase()) {
        (Some(e), _) => format!(
            "the application was told {e} after {} bytes",
            reader.got.len()
        ),
        (None, Phase::Reset) => format!("the target reset it after {} bytes", reader.got.len()),
        _ if reader.got.len() >= data.len() => "complete".to_string(),
        _ => format!("stalled after {} bytes", reader.got.len()),
    };
    Ok(BlindReport {
        sent,
        connection_reset: reader.error.is_some()
            || victim.phase() == Phase::Reset
            || reader.got.len() < data.len(),
        outcome,
        bytes_sent: data.len() as u64,
        bytes_read: reader.got.len() as u64,
        injected_bytes: differing + extra,
        data_verified: reader.got == data,
        acks_drawn_on_wire: drawn,
        peer_resent: resent,
        challenge_acks_counted_by_target: counted,
        limit,
        seconds,
    })
}

/// Keep the wire turning for `wait`.
fn settle(
    lab: &mut Lab,
    a: &mut Peer,
    b: &mut Peer,
    stray: &mut Stray,
    wait: Duration,
) -> Result<()> {
    pump_until(lab, &mut [a, b], stray, wait, |_, _| false)?;
    Ok(())
}

/// One attack segment on `victim`'s 4-tuple, as from the peer.
fn segment(kind: Kind, victim: &Peer, rng: &mut Rng) -> Vec<u8> {
    let r = rng.next();
    let (flags, payload) = match kind {
        Kind::BlindRst => (Flags::RST, 0),
        Kind::BlindSyn => (Flags::SYN, 0),
        _ => (Flags::ACK | Flags::PSH, 64),
    };
    let ack = if flags.contains(Flags::ACK) {
        (r >> 32) as u32
    } else {
        0
    };
    spoof(victim, r as u32, ack, flags, &[0x41u8; 64][..payload])
}

/// A segment from `peer`'s address to the target, written by the attacker.
fn spoof(peer: &Peer, seq: u32, ack: u32, flags: Flags, payload: &[u8]) -> Vec<u8> {
    let h = TcpHeader {
        src_port: peer.local.port(),
        dst_port: TARGET.port(),
        seq,
        ack,
        flags,
        window: 65535,
        urgent: 0,
        options: TcpOptions::default(),
    };
    let mut p = Vec::with_capacity(40 + payload.len());
    wire::build_packet(&mut p, peer.local.ip(), TARGET.ip(), &h, payload, 0);
    p
}

/// [`LIMIT_SYNS`] SYNs at RCV.NXT on `spent`, then one on `probe`; the ACKs each drew.
fn limit_check(
    lab: &mut Lab,
    spent: &mut Peer,
    probe: &mut Peer,
    stray: &mut Stray,
) -> Result<LimitCheck> {
    settle(lab, spent, probe, stray, Duration::from_millis(1100))?;
    let (spent_before, probe_before) = (spent.pure_acks, probe.pure_acks);
    let syn = spoof(spent, spent.snd_nxt(), 0, Flags::SYN, &[]);
    for _ in 0..LIMIT_SYNS {
        lab.inject(&syn)?;
    }
    lab.inject(&spoof(probe, probe.snd_nxt(), 0, Flags::SYN, &[]))?;
    lab.barrier(Duration::from_secs(2))?;
    settle(lab, spent, probe, stray, Duration::from_millis(300))?;
    let answered = spent.pure_acks - spent_before;
    let other = probe.pure_acks - probe_before;
    let verdict = if answered == 0 {
        Limit::NoChallengeAck
    } else if answered >= LIMIT_SYNS {
        Limit::Unlimited
    } else if other == 0 {
        Limit::Global
    } else {
        Limit::PerConnection
    };
    Ok(LimitCheck {
        syns: LIMIT_SYNS,
        answered,
        other_connection_answered: other,
        verdict,
    })
}
