//! Test-only faults. Each [`Fault`] breaks one rule of the RFCs where the stack implements it,
//! so that a test can show that the rule's own test catches the break
//! (`src/tests/faults.rs`: one test per fault).
//!
//! A fault is injected for the current thread only ([`inject`], undone when the returned
//! guard drops), and consulted with [`fault!`] at the one place the rule is implemented.
//! Outside `cfg(test)` the enum does not exist and [`fault!`] is always false: no fault is
//! reachable from a normal build or from the public API.
//!
//! The cargo feature `seeded-faults` makes the list public (and adds [`inject_everywhere`],
//! for every thread of the process) so that other crates' tests can seed a fault into the
//! stack they drive, e.g. the fuzzer's power test in the root crate. Only the root crate's
//! `[dev-dependencies]` turn it on, so it exists in test builds only: `cargo build` and
//! `cargo run` never have it (cargo's resolver 2 keeps dev-dependency features out of normal
//! builds).

/// True when the test-only fault `$f` is injected on this thread; always false outside
/// `cfg(test)`.
#[cfg(any(test, feature = "seeded-faults"))]
macro_rules! fault {
    ($f:ident) => {
        $crate::fault::active($crate::fault::Fault::$f)
    };
}

/// True when the test-only fault `$f` is injected on this thread; always false outside
/// `cfg(test)`.
#[cfg(not(any(test, feature = "seeded-faults")))]
macro_rules! fault {
    ($f:ident) => {
        $crate::fault::never()
    };
}

/// No fault exists in a normal build.
#[cfg(not(any(test, feature = "seeded-faults")))]
#[inline(always)]
pub(crate) fn never() -> bool {
    false
}

#[cfg(any(test, feature = "seeded-faults"))]
pub use imp::*;

#[cfg(any(test, feature = "seeded-faults"))]
mod imp {
    use std::cell::Cell;
    use std::sync::atomic::{AtomicU64, Ordering};

    macro_rules! faults {
        ($($(#[doc = $doc:literal])* $name:ident => $req:literal,)*) => {
            /// A seeded fault: one rule broken where the stack implements it.
            #[derive(Clone, Copy, Debug, PartialEq, Eq)]
            pub enum Fault {
                $($(#[doc = $doc])* $name,)*
            }

            impl Fault {
                /// Every fault.
                pub const ALL: &'static [Fault] = &[$(Fault::$name),*];

                /// The requirement the fault breaks (RFC 9293 Appendix B's id, or the RFC).
                pub fn requirement(self) -> &'static str {
                    match self {
                        $(Fault::$name => $req),*
                    }
                }
            }
        };
    }

    faults! {
        /// `set_nodelay(true)` is ignored: Nagle's algorithm stays on.
        NagleNotDisabled => "MUST-17",
        /// R1 retransmissions pass no advice and report nothing.
        NoR1Advice => "MUST-20",
        /// A connection's own R2 (`set_retries`) is ignored; the configuration's applies.
        R2NotPerConnection => "MUST-21",
        /// The default R2 for a SYN is 6 retransmissions (123 s), under three minutes.
        SynR2Short => "MUST-23",
        /// New connections have keepalive on unless the application turns it off.
        KeepaliveOnByDefault => "MUST-25",
        /// The default keepalive idle time is one hour.
        KeepaliveIdleShort => "MUST-28",
        /// The sixth step (URG) is skipped: the urgent pointer of arriving segments is ignored.
        UrgentIgnored => "MUST-30",
        /// The urgent offset is truncated to 16 bits instead of saturating at 65535.
        UrgentOffsetWraps => "MUST-31",
        /// The application is not told when urgent data arrives or the pointer advances.
        UrgentNotSignalled => "MUST-32",
        /// The urgent data left to read is counted from RCV.NXT instead of from what the
        /// application has read.
        UrgentCountFromRcvNxt => "MUST-33",
        /// A passive OPEN on an address already listened on replaces the old listener.
        ListenReplaces => "MUST-41",
        /// A passive OPEN is refused while a connection uses the local port.
        ListenRefusedOnBusyPort => "MUST-42",
        /// An active OPEN to a broadcast or multicast address is accepted.
        OpenToBroadcast => "MUST-46",
        /// Soft ICMP errors are not reported to the application.
        SoftErrorNotReported => "MUST-47",
        /// The connection's Diffserv codepoint is not written into its packets.
        DscpNotApplied => "MUST-48",
        /// The connection's TTL / hop limit is not written into its packets.
        TtlNotApplied => "MUST-49",
        /// ICMP errors are dropped: a hard error does not abort an opening connection.
        IcmpIgnored => "MUST-54",
        /// The sequence number quoted in an ICMP error is not checked (RFC 5927 4.1).
        IcmpSeqUnchecked => "MUST-54",
        /// An ICMP error is directed to a connection by addresses only, ports ignored.
        IcmpPortsUnchecked => "MUST-54",
        /// An ICMP Source Quench is treated as a soft error.
        SourceQuenchActedOn => "MUST-55",
        /// A soft ICMP error aborts an opening connection.
        SoftErrorAborts => "MUST-56",
        /// A segment addressed to a broadcast or multicast address is processed.
        BroadcastSegmentAccepted => "MUST-57",
        /// Pure ACKs are sent while queued segments are still being processed.
        AckBeforeQueueProcessed => "MUST-59",
        /// The last segment of the buffered data carries no PSH.
        NoPushOnLastSegment => "MUST-61",
        /// The urgent pointer sent points to the last urgent octet (RFC 1122's reading).
        UrgentPointsToLastOctet => "MUST-62",
        /// A segment from a broadcast or multicast source is processed.
        InvalidSourceAccepted => "MUST-63",
        /// Every segment carries the MSS option, not only SYNs.
        MssOnEverySegment => "MUST-65",
        /// With a zero receive window a RST carrying text is dropped unprocessed.
        ZeroWindowDropsRst => "MUST-66",
        /// With a zero receive window the URG of a segment carrying text is dropped.
        ZeroWindowDropsUrg => "MUST-66",
        /// A hard ICMP error aborts a synchronized connection (RFC 5927 5.2 says treat it as
        /// soft).
        HardErrorAbortsSynchronized => "SHLD-26",
        /// A SYN cookie is accepted whatever its age (RFC 4987 3.6: cookies expire).
        CookieNeverExpires => "RFC 4987",
        /// A SYN cookie does not cover the peer's ISN: an ACK with any SEG.SEQ completes it.
        CookieIgnoresPeerIsn => "RFC 4987",
        /// A full backlog drops SYNs instead of answering with a cookie.
        NoSynCookies => "RFC 4987",
        /// The SYN,ACK with a cookie offers window scaling, which the cookie cannot remember.
        CookieOffersWindowScale => "RFC 7323",
        /// A FIN retransmitted into TIME-WAIT is acknowledged but does not restart the 2 MSL
        /// timeout.
        TimeWaitFinNoRestart => "RFC 9293 3.10.7.4",
        /// RFC 5961 5.2's range check is removed: an ACK older than SND.UNA - MAX.SND.WND
        /// is processed.
        AckRangeUnchecked => "RFC 5961 5.2",
        /// With a zero receive window, a valid ACK on a segment with text is not processed.
        ZeroWindowAckIgnored => "RFC 9293 3.10.7.4",
        /// Held out-of-order text is not delivered when in-order text fills the gap.
        HeldTextForgotten => "RFC 9293 3.10.7.4",
        /// A RST inside the window but not at RCV.NXT resets the connection.
        RstInWindowResets => "RFC 5961 3.2",
        /// A SYN in a synchronized state resets the connection.
        SynResetsSynchronized => "RFC 5961 4.2",
        /// A challenge ACK acknowledges IRS+1 instead of RCV.NXT.
        ChallengeAckStale => "RFC 5961 3.2",
        /// An out-of-order segment gets no immediate duplicate ACK.
        NoDupAckOutOfOrder => "RFC 5681 4.2",
        /// ABORT sends no RST.
        AbortSilent => "RFC 9293 3.10.5",
        /// A FIN in FIN-WAIT-2 is acknowledged, but the connection stays in FIN-WAIT-2.
        FinWait2IgnoresFin => "RFC 9293 3.10.7.4",
        /// An unacceptable segment is dropped without the acknowledgment RFC 9293 asks for.
        UnacceptableNotAcked => "RFC 9293 3.10.7.4",
        /// Held text is delivered when the gap fills, but RCV.NXT does not advance over it.
        ReassembledNotAcknowledged => "RFC 9293 3.10.7.4",
        /// A segment that starts before RCV.NXT is not trimmed to its new octets, so they are
        /// not taken.
        OldPartNotTrimmed => "RFC 9293 3.10.7.4",
        /// A synchronized connection takes any segment's text at RCV.NXT, whatever its
        /// sequence and acknowledgment numbers: no acceptability test (RFC 9293 3.10.7.4,
        /// first) and no acknowledgment range (RFC 5961 5.2), so a blind attacker's data is
        /// delivered.
        BlindDataAccepted => "RFC 5961",
    }

    impl Fault {
        /// The faults the fuzzer (`tcpspec fuzz`) must find: its power test in the root
        /// crate (`src/fuzz/tests.rs`) seeds each into the stack and runs walks until one
        /// fails. Their own tests here are not unit tests but that search.
        pub const FOUND_BY_FUZZ: &'static [Fault] = &[
            Fault::TimeWaitFinNoRestart,
            Fault::AckRangeUnchecked,
            Fault::ZeroWindowAckIgnored,
            Fault::HeldTextForgotten,
            Fault::RstInWindowResets,
            Fault::SynResetsSynchronized,
            Fault::ChallengeAckStale,
            Fault::NoDupAckOutOfOrder,
            Fault::AbortSilent,
            Fault::FinWait2IgnoresFin,
            Fault::UnacceptableNotAcked,
            Fault::ReassembledNotAcknowledged,
            Fault::OldPartNotTrimmed,
        ];
    }

    thread_local! {
        static ACTIVE: Cell<u64> = const { Cell::new(0) };
    }

    /// Faults injected for every thread ([`inject_everywhere`]).
    static EVERYWHERE: AtomicU64 = AtomicU64::new(0);

    fn bit(f: Fault) -> u64 {
        1u64 << (f as u32)
    }

    /// True when `f` is injected on this thread or everywhere.
    pub(crate) fn active(f: Fault) -> bool {
        ACTIVE.with(|a| a.get() & bit(f) != 0) || EVERYWHERE.load(Ordering::Relaxed) & bit(f) != 0
    }

    /// Injects `f` on this thread until the guard drops.
    pub fn inject(f: Fault) -> Injected {
        ACTIVE.with(|a| a.set(a.get() | bit(f)));
        Injected(f)
    }

    /// Removes its fault when dropped.
    pub struct Injected(Fault);

    impl Drop for Injected {
        fn drop(&mut self) {
            ACTIVE.with(|a| a.set(a.get() & !bit(self.0)));
        }
    }

    /// Injects `f` for every thread of the process until the guard drops: for a test that
    /// drives the stack from threads it does not make (a replay job in its own network
    /// namespace). Such tests must not run alongside others that use the stack.
    pub fn inject_everywhere(f: Fault) -> InjectedEverywhere {
        EVERYWHERE.fetch_or(bit(f), Ordering::SeqCst);
        InjectedEverywhere(f)
    }

    /// Removes its process-wide fault when dropped.
    pub struct InjectedEverywhere(Fault);

    impl Drop for InjectedEverywhere {
        fn drop(&mut self) {
            EVERYWHERE.fetch_and(!bit(self.0), Ordering::SeqCst);
        }
    }

    #[test]
    fn faults_fit_the_bit_set() {
        assert!(Fault::ALL.len() <= 64);
        for (i, f) in Fault::ALL.iter().enumerate() {
            assert_eq!(*f as usize, i);
        }
    }
}
