//! Minimal pcap writer (LINKTYPE_RAW: each record is an IPv4 or IPv6 packet), readable by
//! tcpdump, tshark and Wireshark.

use std::io::{self, Write};
use std::time::{SystemTime, UNIX_EPOCH};

/// `LINKTYPE_RAW`: raw IP, version from the first nibble.
pub const LINKTYPE_RAW: u32 = 101;

/// A capture kept in memory and written out at the end of a replay.
#[derive(Clone, Debug, Default)]
pub struct Capture {
    records: Vec<(SystemTime, Vec<u8>)>,
}

impl Capture {
    /// An empty capture.
    pub fn new() -> Self {
        Capture::default()
    }

    /// Record one packet seen now.
    pub fn record(&mut self, packet: &[u8]) {
        self.records.push((SystemTime::now(), packet.to_vec()));
    }

    /// Number of packets recorded.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// True if nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Write the pcap file format (little-endian, microsecond timestamps).
    pub fn write_to(&self, mut w: impl Write) -> io::Result<()> {
        let mut head = Vec::with_capacity(24);
        head.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
        head.extend_from_slice(&2u16.to_le_bytes());
        head.extend_from_slice(&4u16.to_le_bytes());
        head.extend_from_slice(&0i32.to_le_bytes());
        head.extend_from_slice(&0u32.to_le_bytes());
        head.extend_from_slice(&65535u32.to_le_bytes());
        head.extend_from_slice(&LINKTYPE_RAW.to_le_bytes());
        w.write_all(&head)?;
        for (at, pkt) in &self.records {
            let t = at.duration_since(UNIX_EPOCH).unwrap_or_default();
            let mut rec = Vec::with_capacity(16 + pkt.len());
            rec.extend_from_slice(&(t.as_secs() as u32).to_le_bytes());
            rec.extend_from_slice(&t.subsec_micros().to_le_bytes());
            rec.extend_from_slice(&(pkt.len() as u32).to_le_bytes());
            rec.extend_from_slice(&(pkt.len() as u32).to_le_bytes());
            rec.extend_from_slice(pkt);
            w.write_all(&rec)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_and_records_have_the_pcap_layout() {
        let mut c = Capture::new();
        c.record(&[0x45, 1, 2]);
        let mut out = Vec::new();
        c.write_to(&mut out).unwrap();
        assert_eq!(out.len(), 24 + 16 + 3);
        assert_eq!(&out[..4], &[0xd4, 0xc3, 0xb2, 0xa1]);
        assert_eq!(
            u32::from_le_bytes([out[20], out[21], out[22], out[23]]),
            101
        );
        assert_eq!(u32::from_le_bytes([out[32], out[33], out[34], out[35]]), 3);
        assert_eq!(&out[40..], &[0x45, 1, 2]);
    }
}
