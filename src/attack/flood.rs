//! A SYN flood (RFC 4987) while a legitimate client connects.
//!
//! `count` SYNs from spoofed sources ([`super::spoofed`]) go to the listening target in
//! `connects` bursts, as fast as the target processes them (the lab keeps at most
//! [`super::lab::AHEAD`] waiting). After each burst, with the spoofed half-open connections
//! in the target's queue, the legitimate peer connects, sends 64 KB and the target's
//! application must read it intact. Reported: the connects that succeeded, their latency
//! (first SYN to SYN,ACK), the SYNs the target processed per second (its own processed-packet
//! count over the bursts' time, each burst ending when the target has processed all of it),
//! what it answered to the spoofed sources (seen on the wire), the SYN cookies it counted
//! where it counts them, and its memory peak over the flood where it can be measured
//! ([`tcp_conformance::footprint`]).

use super::lab::{Lab, Reader, Stray};
use super::{open, pattern, spoofed, transfer, Options, Rng, TARGET};
use anyhow::Result;
use serde::Serialize;
use std::time::{Duration, Instant};
use tcp_conformance::footprint::{MemoryMeter, MemoryPeak};
use tcp_impl::wire::{self, Flags, TcpHeader, TcpOptions};

/// Bytes each legitimate connection sends.
pub const PAYLOAD: usize = 64 * 1024;
/// SYNs between two memory samples.
const SAMPLE_EVERY: u64 = 1024;

/// The result of a SYN flood.
#[derive(Debug, Serialize)]
pub struct FloodReport {
    /// Spoofed SYNs sent.
    pub sent: u64,
    /// Of those, the ones the target processed (its own count; the rest were still
    /// unprocessed 5 s after their burst).
    pub processed: u64,
    /// SYNs processed per second of the bursts.
    pub syns_per_second: f64,
    /// SYN,ACKs the target sent to spoofed sources (on the wire).
    pub syn_acks_to_spoofed: u64,
    /// RSTs it sent to them.
    pub rsts_to_spoofed: u64,
    /// SYN cookies the target counted itself (`None`: it keeps no such count).
    pub syn_cookies_counted_by_target: Option<u64>,
    /// Legitimate connects tried.
    pub connects: u32,
    /// Connects that succeeded and moved their 64 KB intact.
    pub connects_ok: u32,
    /// Why the others failed, one entry each.
    pub failures: Vec<String>,
    /// Median connect latency of the connects that got a SYN,ACK, in milliseconds.
    pub connect_ms_median: Option<f64>,
    /// The longest such latency.
    pub connect_ms_max: Option<f64>,
    /// The target's memory over the flood.
    pub memory: Option<MemoryPeak>,
    /// Why `memory` is missing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_not_measured: Option<String>,
}

/// Run the flood in `lab` (the target listens on [`TARGET`]).
pub fn run(lab: &mut Lab, options: &Options, rng: &mut Rng) -> Result<FloodReport> {
    let mut stray = Stray::default();
    let (mut meter, mut memory_not_measured) = match lab.stack.footprint() {
        Some(f) => match MemoryMeter::start(f) {
            Ok(m) => (Some(m), None),
            Err(e) => (None, Some(format!("the meter could not start: {e}"))),
        },
        None => (
            None,
            Some("the target gives no way to read its memory".into()),
        ),
    };
    let cookies_before = lab.stack.defence_counters().syn_cookies_sent;
    let rounds = options.connects.max(1);
    let per_round = options.count / u64::from(rounds);
    let payload = pattern(PAYLOAD);
    let (mut sent, mut processed, mut flooding) = (0u64, 0u64, Duration::ZERO);
    let (mut latencies, mut failures, mut connects_ok) = (Vec::new(), Vec::new(), 0u32);
    for round in 0..rounds {
        lab.barrier(Duration::from_secs(5))?;
        let (t0, p0) = (Instant::now(), lab.processed());
        for i in 0..per_round {
            lab.inject(&spoofed_syn(rng))?;
            sent += 1;
            if i % SAMPLE_EVERY == SAMPLE_EVERY - 1 {
                sample(&mut meter, &mut memory_not_measured);
            }
            if i % 64 == 63 {
                lab.pump(&mut [], &mut stray)?;
            }
        }
        lab.barrier(Duration::from_secs(5))?;
        flooding += t0.elapsed();
        processed += lab.processed() - p0;
        sample(&mut meter, &mut memory_not_measured);
        let port = 41000 + round as u16;
        let mut opened = || sample(&mut meter, &mut memory_not_measured);
        match connect_and_send(
            lab,
            port,
            rng.next() as u32,
            &payload,
            &mut stray,
            &mut opened,
        )? {
            (Some(ms), None) => {
                latencies.push(ms);
                connects_ok += 1;
            }
            (ms, Some(why)) => {
                latencies.extend(ms);
                failures.push(format!("connect {round}: {why}"));
            }
            (None, None) => failures.push(format!("connect {round}: no latency")),
        }
        sample(&mut meter, &mut memory_not_measured);
    }
    lab.pump(&mut [], &mut stray)?;
    latencies.sort_by(f64::total_cmp);
    let cookies = match (
        cookies_before,
        lab.stack.defence_counters().syn_cookies_sent,
    ) {
        (Some(a), Some(b)) => Some(b.saturating_sub(a)),
        _ => None,
    };
    Ok(FloodReport {
        sent,
        processed: processed.min(sent),
        syns_per_second: processed.min(sent) as f64 / flooding.as_secs_f64().max(1e-9),
        syn_acks_to_spoofed: stray.syn_acks,
        rsts_to_spoofed: stray.rsts,
        syn_cookies_counted_by_target: cookies,
        connects: rounds,
        connects_ok,
        failures,
        connect_ms_median: latencies.get(latencies.len() / 2).copied(),
        connect_ms_max: latencies.last().copied(),
        memory: meter.map(|m| m.peak()),
        memory_not_measured,
    })
}

fn sample(meter: &mut Option<MemoryMeter>, why: &mut Option<String>) {
    if let Some(m) = meter {
        if let Err(e) = m.sample() {
            *why = Some(format!("a sample failed: {e}"));
            *meter = None;
        }
    }
}

/// A SYN from a spoofed source with MSS 1460.
fn spoofed_syn(rng: &mut Rng) -> Vec<u8> {
    let r = rng.next();
    let src = spoofed(r);
    let h = TcpHeader {
        src_port: src.port(),
        dst_port: TARGET.port(),
        seq: (r >> 16) as u32,
        ack: 0,
        flags: Flags::SYN,
        window: 65535,
        urgent: 0,
        options: TcpOptions {
            mss: Some(1460),
            ..TcpOptions::default()
        },
    };
    let mut p = Vec::with_capacity(44);
    wire::build_packet(&mut p, src.ip(), TARGET.ip(), &h, &[], 0);
    p
}

/// One legitimate connect and transfer: its latency in milliseconds once the SYN,ACK came,
/// and why it failed, if it did; `opened` is called once the connection is accepted. The
/// connection is aborted afterwards.
fn connect_and_send(
    lab: &mut Lab,
    port: u16,
    iss: u32,
    payload: &[u8],
    stray: &mut Stray,
    opened: &mut dyn FnMut(),
) -> Result<(Option<f64>, Option<String>)> {
    let mut peer = match open(lab, port, iss, payload.to_vec(), true, stray)? {
        Ok(p) => p,
        Err(why) => return Ok((None, Some(why))),
    };
    opened();
    let ms = peer.connect_time().map(|d| d.as_secs_f64() * 1000.0);
    let mut reader = Reader::default();
    transfer(
        lab,
        &mut peer,
        &mut reader,
        payload.len(),
        Duration::from_secs(5),
        stray,
    )?;
    lab.stack.abort();
    let why = if reader.got == payload {
        None
    } else if let Some(e) = &reader.error {
        Some(format!("{e} after {} bytes", reader.got.len()))
    } else if reader.got.len() < payload.len() {
        Some(format!(
            "{} of {} bytes arrived",
            reader.got.len(),
            payload.len()
        ))
    } else {
        Some("the data arrived changed".into())
    };
    Ok((ms, why))
}
