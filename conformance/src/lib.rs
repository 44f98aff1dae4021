//! Conformance replayer (see issue 4).
