//! Every seeded fault ([`crate::fault::Fault`]) is caught by the test of the requirement it
//! breaks: that test runs again with the fault injected and must fail. One test per fault;
//! a last test checks that no fault is left without one.

use crate::fault::{inject, Fault};
use std::cell::Cell;
use std::sync::Once;

thread_local! {
    /// This thread runs a check that is expected to panic: keep its message quiet.
    static EXPECTING_PANIC: Cell<bool> = const { Cell::new(false) };
}

/// Installs (once) a panic hook that stays quiet for the expected panics of [`caught`] and
/// reports every other panic as the default hook does.
fn quiet_expected_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !EXPECTING_PANIC.with(Cell::get) {
                default(info);
            }
        }));
    });
}

/// Runs the requirement's test `check` with `fault` injected: it must fail.
fn caught(fault: Fault, check: fn()) {
    quiet_expected_panics();
    let _fault = inject(fault);
    EXPECTING_PANIC.with(|e| e.set(true));
    let outcome = std::panic::catch_unwind(check);
    EXPECTING_PANIC.with(|e| e.set(false));
    assert!(
        outcome.is_err(),
        "{fault:?} breaks {} but its test still passes",
        fault.requirement()
    );
}

/// One test per fault and test that must catch it (a fault may break a rule that two tests
/// check), and the list of faults covered.
macro_rules! catalogue {
    ($($test:ident: $fault:ident => $check:path;)*) => {
        $(
            #[test]
            fn $test() {
                caught(Fault::$fault, $check);
            }
        )*

        const COVERED: &[Fault] = &[$(Fault::$fault),*];
    };
}

catalogue! {
    nagle_not_disabled: NagleNotDisabled => super::musts::nodelay_disables_nagle;
    no_r1_advice: NoR1Advice => super::retries::r1_advises_and_r2_closes;
    no_r1_advice_for_syns: NoR1Advice => super::retries::syn_retransmissions_advise_at_r1_and_close_at_r2;
    r2_not_per_connection: R2NotPerConnection => super::retries::r2_is_set_per_connection;
    syn_r2_short: SynR2Short => super::retries::syn_r2_lasts_three_minutes_by_default;
    keepalive_on_by_default: KeepaliveOnByDefault => super::musts::keepalive_is_off_by_default;
    keepalive_idle_short: KeepaliveIdleShort => super::musts::keepalive_idle_defaults_to_two_hours;
    urgent_ignored: UrgentIgnored => super::urgent::urgent_data_is_sent_and_received;
    urgent_offset_wraps: UrgentOffsetWraps => super::urgent::urgent_data_of_any_length;
    urgent_not_signalled: UrgentNotSignalled
        => super::urgent::urgent_data_is_signalled_when_it_arrives_and_when_the_pointer_moves;
    urgent_count_from_rcv_nxt: UrgentCountFromRcvNxt
        => super::urgent::the_application_learns_how_much_urgent_data_is_left;
    urgent_points_to_last_octet: UrgentPointsToLastOctet
        => super::urgent::urgent_data_is_sent_and_received;
    zero_window_drops_rst: ZeroWindowDropsRst => super::rfc5961::rst_with_text_into_a_zero_window_resets;
    zero_window_drops_urg: ZeroWindowDropsUrg => super::urgent::urg_is_processed_in_a_zero_window;
    soft_error_not_reported: SoftErrorNotReported => super::icmp::soft_errors_are_reported;
    icmp_ignored: IcmpIgnored => super::icmp::a_hard_error_aborts_an_opening_connection;
    icmp_seq_unchecked: IcmpSeqUnchecked
        => super::icmp::an_error_quoting_a_sequence_number_not_in_flight_is_ignored;
    icmp_ports_unchecked: IcmpPortsUnchecked
        => super::icmp::an_error_goes_to_the_connection_that_sent_the_segment;
    source_quench_acted_on: SourceQuenchActedOn => super::icmp::source_quench_is_silently_discarded;
    soft_error_aborts: SoftErrorAborts => super::icmp::soft_errors_never_abort;
    hard_error_aborts_synchronized: HardErrorAbortsSynchronized
        => super::icmp::a_hard_error_in_a_synchronized_state_is_soft;
    cookie_never_expires: CookieNeverExpires => super::syncookies::an_expired_cookie_is_refused;
    cookie_ignores_peer_isn: CookieIgnoresPeerIsn
        => super::syncookies::a_forged_or_mismatched_cookie_is_refused_with_a_reset;
    no_syn_cookies: NoSynCookies => super::syncookies::a_legitimate_client_connects_during_a_syn_flood;
    cookie_offers_window_scale: CookieOffersWindowScale
        => super::syncookies::a_cookie_syn_ack_offers_no_window_scaling;
    ack_before_queue_processed: AckBeforeQueueProcessed
        => crate::coalesce::tests::queued_segments_are_all_processed_before_any_ack;
    listen_replaces: ListenReplaces => super::musts::passive_open_leaves_existing_records_alone;
    listen_refused_on_busy_port: ListenRefusedOnBusyPort
        => super::musts::listen_on_the_port_of_an_opening_connection;
    open_to_broadcast: OpenToBroadcast => super::musts::open_to_broadcast_or_multicast_is_an_error;
    ttl_not_applied: TtlNotApplied => super::ip_fields::ttl_is_set_per_connection_on_every_segment;
    dscp_not_applied: DscpNotApplied => super::ip_fields::dscp_is_set_per_connection_on_every_segment;
    broadcast_segment_accepted: BroadcastSegmentAccepted
        => super::musts::segments_to_broadcast_or_multicast_are_discarded;
    invalid_source_accepted: InvalidSourceAccepted
        => super::musts::syn_from_an_invalid_source_is_ignored;
    no_push_on_last_segment: NoPushOnLastSegment => super::musts::the_last_buffered_segment_carries_psh;
    mss_on_every_segment: MssOnEverySegment => super::musts::mss_option_only_on_syns;
    blind_data_accepted: BlindDataAccepted => super::rfc5961::unacceptable_segment_is_answered_with_ack;
    no_push_in_the_push_vector: NoPushOnLastSegment => super::vectors::push_on_last_segment;
    mss_in_the_mss_vector: MssOnEverySegment => super::vectors::mss_only_on_syn;
    syn_r2_short_in_the_syn_vector: SynR2Short => super::vectors::syn_retransmitted_three_minutes;
    urgent_not_signalled_in_the_urgent_vector: UrgentNotSignalled
        => super::vectors::urgent_data_received;
    urgent_ignored_in_the_urgent_vector: UrgentIgnored => super::vectors::urgent_data_received;
    urgent_pointer_in_the_urgent_send_vector: UrgentPointsToLastOctet
        => super::vectors::urgent_data_sent;
    icmp_ignored_in_the_port_unreachable_vector: IcmpIgnored
        => super::vectors::icmp_port_unreachable_in_syn_sent;
    soft_error_aborts_in_the_host_unreachable_vector: SoftErrorAborts
        => super::vectors::icmp_host_unreachable_in_syn_sent;
    soft_error_not_reported_in_the_established_vector: SoftErrorNotReported
        => super::vectors::icmp_host_unreachable_in_established;
    icmp_ignored_in_the_established_vector: IcmpIgnored
        => super::vectors::icmp_host_unreachable_in_established;
}

#[test]
fn every_fault_has_its_test() {
    for f in Fault::ALL {
        // The faults the fuzzer must find are checked by its power test in the root crate
        // (src/fuzz/tests.rs), which seeds each and walks until one fails.
        assert!(
            COVERED.contains(f) || Fault::FOUND_BY_FUZZ.contains(f),
            "{f:?} ({}) has no test",
            f.requirement()
        );
    }
}
