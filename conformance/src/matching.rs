//! Compare a segment with a vector's pattern: only the constrained fields.
//!
//! SYN, ACK, FIN and RST are compared exactly; PSH and URG only when the pattern names them
//! (a sender may set PSH on any data segment, RFC 9293 section 3.9.1.2); sequence and
//! acknowledgment numbers only when the pattern gives them; the payload length always.

use crate::segment::{Segment, SegmentOptions};
use crate::symbols::Symbols;
use std::fmt;
use tcp_vectors::{Flags, OptionValue, OptionsPattern, SegmentPattern};

/// One field that differed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldDiff {
    /// `flags`, `seq`, `ack`, `len`, `window` or an option (`mss option`, ...).
    pub field: &'static str,
    /// What the vector wanted.
    pub expected: String,
    /// What the target sent.
    pub got: String,
}

impl fmt::Display for FieldDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} differs (expected {}, got {})",
            self.field, self.expected, self.got
        )
    }
}

/// Whether the control flags the pattern constrains are as required.
fn flags_match(want: Flags, got: Flags) -> bool {
    want.syn == got.syn
        && want.ack == got.ack
        && want.fin == got.fin
        && want.rst == got.rst
        && (!want.psh || got.psh)
        && (!want.urg || got.urg)
}

/// The differing fields of `seg` against `pattern`; empty when it matches.
pub fn compare(pattern: &SegmentPattern, seg: &Segment, sym: &Symbols) -> Vec<FieldDiff> {
    let sym = &sym.for_expected();
    let mut diffs = Vec::new();
    if !flags_match(pattern.flags, seg.flags) {
        diffs.push(FieldDiff {
            field: "flags",
            expected: pattern.flags.to_string(),
            got: seg.flags.to_string(),
        });
    }
    for (field, expr, got) in [
        ("seq", &pattern.seq, seg.seq),
        ("ack", &pattern.ack, seg.ack),
    ] {
        let Some(expr) = expr else { continue };
        match sym.eval(expr) {
            Ok(want) if want == got => {}
            Ok(_) => diffs.push(FieldDiff {
                field,
                expected: expr.to_string(),
                got: sym.describe(got),
            }),
            Err(why) => diffs.push(FieldDiff {
                field,
                expected: format!("{expr} ({why})"),
                got: got.to_string(),
            }),
        }
    }
    if pattern.len != seg.len {
        diffs.push(FieldDiff {
            field: "len",
            expected: pattern.len.to_string(),
            got: seg.len.to_string(),
        });
    }
    if let Some(w) = pattern.window {
        if !w.allows(seg.window) {
            diffs.push(FieldDiff {
                field: "window",
                expected: w.to_string(),
                got: seg.window.to_string(),
            });
        }
    }
    if let Some(o) = &pattern.options {
        diffs.extend(compare_options(o, &seg.options));
    }
    // RFC 9293 section 3.8.5 (MUST-62): the pointer is compared as sent, an offset from
    // SEG.SEQ, only when the pattern names it (and only with URG, which the pattern then has).
    if let Some(want) = pattern.urg {
        if !seg.flags.urg || u32::from(seg.urgent) != want {
            diffs.push(FieldDiff {
                field: "urgent pointer",
                expected: want.to_string(),
                got: if seg.flags.urg {
                    seg.urgent.to_string()
                } else {
                    format!("none (no URG; field {})", seg.urgent)
                },
            });
        }
    }
    diffs
}

/// Compare the named options (RFC 9293 section 3.1, RFC 7323, RFC 2018).
fn compare_options(want: &OptionsPattern, got: &SegmentOptions) -> Vec<FieldDiff> {
    let mut diffs = Vec::new();
    let shown = |v: Option<u32>| v.map_or("absent".to_string(), |v| v.to_string());
    for (field, want, got) in [
        ("mss option", want.mss, got.mss.map(u32::from)),
        ("wscale option", want.wscale, got.wscale.map(u32::from)),
    ] {
        let Some(want) = want else { continue };
        let ok = match want {
            OptionValue::Absent => got.is_none(),
            OptionValue::Value(v) => got == Some(v),
        };
        if !ok {
            diffs.push(FieldDiff {
                field,
                expected: want.to_string(),
                got: shown(got),
            });
        }
    }
    for (field, want, got) in [
        (
            "sack_permitted option",
            want.sack_permitted,
            got.sack_permitted,
        ),
        ("timestamps option", want.timestamps, got.timestamps),
    ] {
        if let Some(want) = want {
            if want != got {
                let presence = |p: bool| if p { "present" } else { "absent" }.to_string();
                diffs.push(FieldDiff {
                    field,
                    expected: presence(want),
                    got: presence(got),
                });
            }
        }
    }
    diffs
}

/// Render a pattern as `A seq=iss+1 ack=irs+1 len=0`.
pub fn describe_pattern(p: &SegmentPattern) -> String {
    let mut s = p.flags.to_string();
    if let Some(seq) = &p.seq {
        s.push_str(&format!(" seq={seq}"));
    }
    if let Some(ack) = &p.ack {
        s.push_str(&format!(" ack={ack}"));
    }
    s.push_str(&format!(" len={}", p.len));
    if let Some(w) = p.window {
        s.push_str(&format!(" win {w}"));
    }
    if p.options.is_some() {
        s.push_str(" (with options)");
    }
    s
}

/// Render a received segment with its numbers relative to `iss`/`irs`.
pub fn describe_segment(seg: &Segment, sym: &Symbols) -> String {
    let mut s = format!("{} seq={}", seg.flags, sym.describe(seg.seq));
    if seg.flags.ack {
        s.push_str(&format!(" ack={}", sym.describe(seg.ack)));
    }
    s.push_str(&format!(" win={} len={}", seg.window, seg.len));
    if seg.flags.urg {
        s.push_str(&format!(" urg={}", seg.urgent));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(flags: &str, seq: u32, ack: u32, len: u32) -> Segment {
        Segment {
            src: "192.0.2.1:1".parse().unwrap(),
            dst: "192.0.2.2:2".parse().unwrap(),
            flags: flags.parse().unwrap(),
            seq,
            ack,
            window: 100,
            len,
            urgent: 0,
            options: Default::default(),
        }
    }

    fn pat(text: &str) -> SegmentPattern {
        serde_yaml::from_str(text).unwrap()
    }

    #[test]
    fn the_urgent_pointer_is_compared_when_named() {
        let sym = Symbols {
            iss: Some(1000),
            irs: 5000,
            wnd: Some(100),
            wnd_at_send: None,
        };
        let urgent = |ptr| Segment {
            urgent: ptr,
            ..seg("PAU", 1001, 5001, 1)
        };
        let p = pat("{ flags: AU, len: 1, urg: 1 }");
        assert!(compare(&p, &urgent(1), &sym).is_empty());
        let d = compare(&p, &urgent(0), &sym);
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(
            d[0].to_string(),
            "urgent pointer differs (expected 1, got 0)"
        );
        assert!(compare(&pat("{ flags: AU, len: 1 }"), &urgent(0), &sym).is_empty());
        assert_eq!(compare(&p, &seg("PA", 1001, 5001, 1), &sym).len(), 2);
    }

    #[test]
    fn only_constrained_fields_count() {
        let sym = Symbols {
            iss: Some(1000),
            irs: 5000,
            wnd: Some(100),
            wnd_at_send: None,
        };
        let p = pat("{ flags: A, ack: irs+1 }");
        assert!(compare(&p, &seg("A", 77, 5001, 0), &sym).is_empty());
        assert!(
            compare(&p, &seg("PA", 77, 5001, 0), &sym).is_empty(),
            "PSH ignored unless named"
        );
        let d = compare(&p, &seg("FA", 77, 5002, 0), &sym);
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].to_string(), "flags differs (expected A, got FA)");
        assert_eq!(d[1].to_string(), "ack differs (expected irs+1, got irs+2)");
        let d = compare(&p, &seg("A", 77, 5001, 3), &sym);
        assert_eq!(d[0].field, "len");
        let p = pat("{ flags: PA, seq: iss+1, len: 3 }");
        assert_eq!(
            compare(&p, &seg("A", 1001, 0, 3), &sym)[0].field,
            "flags",
            "named PSH is required"
        );
    }

    #[test]
    fn window_and_options_count_only_when_named() {
        let sym = Symbols {
            iss: Some(1000),
            irs: 5000,
            wnd: Some(100),
            wnd_at_send: None,
        };
        let mut s = seg("SA", 1000, 5001, 0);
        s.options.mss = Some(1460);
        s.options.sack_permitted = true;
        assert!(compare(&pat("{ flags: SA }"), &s, &sym).is_empty());
        let p = pat("{ flags: SA, window: '>= 100', options: { mss: 1460, sack_permitted: true, wscale: absent } }");
        assert!(compare(&p, &s, &sym).is_empty());
        let p =
            pat("{ flags: SA, window: 101, options: { mss: 536, wscale: 7, timestamps: true } }");
        let d: Vec<String> = compare(&p, &s, &sym)
            .iter()
            .map(|d| d.to_string())
            .collect();
        assert_eq!(
            d,
            [
                "window differs (expected 101, got 100)",
                "mss option differs (expected 536, got 1460)",
                "wscale option differs (expected 7, got absent)",
                "timestamps option differs (expected present, got absent)",
            ]
        );
    }

    #[test]
    fn unknown_iss_is_a_difference_not_a_panic() {
        let sym = Symbols {
            iss: None,
            irs: 5000,
            wnd: None,
            wnd_at_send: None,
        };
        let d = compare(&pat("{ flags: S, seq: iss }"), &seg("R", 1, 0, 0), &sym);
        assert_eq!(d.len(), 2, "{d:?}");
        assert!(d[1].expected.contains("before the target sent its SYN"));
    }
}
