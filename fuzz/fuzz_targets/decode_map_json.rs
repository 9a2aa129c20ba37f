//! Bytes → decode + map, for documents the decoder reads as JSON (first significant byte
//! `{` or `[`). Must never panic, whatever the bytes; errors are values.
#![no_main]

use apig_import::config::Limits;
use apig_import::spec::{decode_document, map_document, parse_document, Arena, MapOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let first = data.iter().copied().find(|b| !b.is_ascii_whitespace());
    if !matches!(first, Some(b'{' | b'[')) {
        // YAML is decode_map_yaml's: keep this target's corpus on the JSON decoder.
        return;
    }
    run(data);
});

fn run(data: &[u8]) {
    let limits = Limits::default();
    // The whole pipeline as the importer runs it (decode within the limits, map).
    let _ = parse_document(data, MapOptions::default(), &limits);
    // The other mapping modes on the same tree: simple mode skips the shared objects,
    // mock mode replaces backends.
    let mut arena = Arena::default();
    if let Ok(root) = decode_document(&mut arena, data, &limits) {
        let options = MapOptions {
            simple_mode: true,
            mock_mode: true,
        };
        let _ = map_document(&root, options, &limits);
    }
}
