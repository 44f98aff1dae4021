//! Tests of the fuzzer.
