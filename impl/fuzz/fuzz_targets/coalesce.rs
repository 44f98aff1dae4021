//! libFuzzer target: [`harness::coalesce`] (see harness.rs).
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::coalesce(data));
