//! Arbitrary bytes into the edXML package and status parsers: they must return Ok or Err, never
//! panic, and whatever parses must round-trip (see `edxml::fuzzing`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| edxml::fuzzing::exercise(data));
