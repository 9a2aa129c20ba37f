//! A node budget, checked on the raw bytes before the document is decoded.
//!
//! A decoded node costs 24 to 40 bytes of the tree (`tree`: a value; an object entry adds
//! its key) and as much again on the builder's stack while its collection is open, while
//! JSON can write one in two bytes (`0,`): a 4.3 MB array of digits once peaked at 164 MiB,
//! over the 128 MiB a 256 MB function can give an import.
//! Counting the separators that introduce a node is linear, allocates nothing and is exact
//! enough: it never counts fewer nodes than the decoder would build from the text (YAML alias
//! expansion is the decoder's own budget), and a real document has many bytes per node (a
//! 4.6 MB import of 300 operations is ~100,000 nodes), so only a document made to be dense
//! meets the limit.

use crate::config::Limits;
use crate::error::{ApigError, Code};

/// Refuse (`APIG.3602`) a document that would decode to more than `limits.max_document_nodes`
/// nodes. Documents over the size limit or empty are left to the decoder's own errors.
pub fn check(bytes: &[u8], limits: &Limits) -> Result<(), ApigError> {
    if bytes.len() > limits.max_document_bytes {
        return Ok(());
    }
    let nodes = estimate(bytes);
    if nodes > limits.max_document_nodes {
        return Err(ApigError::new(
            Code::Apig3602,
            format!(
                "the document is too complex: it has about {nodes} values, at most {} are allowed",
                limits.max_document_nodes
            ),
        ));
    }
    Ok(())
}

/// What a mapping costs, in nodes: an ordered map allocates its entries and its index
/// table (~400 bytes for one entry) where a scalar costs ~70.
const MAPPING_WEIGHT: usize = 6;

/// An upper bound (plus one) on the nodes the text can produce before alias expansion,
/// a mapping counting [`MAPPING_WEIGHT`].
///
/// JSON (first significant byte `{` or `[`, as the decoder decides): every value other than
/// the root follows `[`, `{`, `,` or `:` outside a string, and strings are unambiguous.
/// YAML: every node needs its own line, a flow separator, an indicator (`- `, `? `) or is
/// the value after a key's `:`; quotes are not followed (an apostrophe in a plain scalar
/// would hide the separators after it), so these bytes count wherever they are — in text
/// too, which only raises the bound. A block mapping starts on a line indented deeper than
/// the one before, or after `- ` / `? `: such lines count as mappings.
pub fn estimate(bytes: &[u8]) -> usize {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let is_json = matches!(
        bytes.iter().find(|b| !b.is_ascii_whitespace()),
        Some(b'{' | b'[')
    );
    if is_json {
        json_estimate(bytes)
    } else {
        yaml_estimate(bytes)
    }
}

fn json_estimate(bytes: &[u8]) -> usize {
    let mut count = 1;
    let mut at = 0;
    while let Some(&b) = bytes.get(at) {
        match b {
            // Strings are most of a document's bytes: jump from one quote or backslash to
            // the next instead of looking at every byte.
            b'"' => match string_end(bytes, at + 1) {
                Some(end) => at = end,
                None => break,
            },
            // Most of the rest is indentation: eight spaces at a time.
            b' ' => at = skip_spaces(bytes, at),
            _ => count += usize::from(JSON_WEIGHTS[usize::from(b)]),
        }
        at += 1;
    }
    count
}

/// What a byte outside strings adds to the JSON estimate.
const JSON_WEIGHTS: [u8; 256] = {
    let mut weights = [0; 256];
    weights[b'{' as usize] = MAPPING_WEIGHT as u8;
    weights[b'[' as usize] = 1;
    weights[b',' as usize] = 1;
    weights[b':' as usize] = 1;
    weights
};

/// The offset of the last space of the run that starts at `from`.
fn skip_spaces(bytes: &[u8], mut from: usize) -> usize {
    while let Some(chunk) = bytes.get(from + 1..from + 9) {
        if chunk != [b' '; 8] {
            break;
        }
        from += 8;
    }
    while bytes.get(from + 1) == Some(&b' ') {
        from += 1;
    }
    from
}

/// The offset of the quote that closes the string whose text starts at `from`; `None` for
/// a string left open (the decoder reports it).
fn string_end(bytes: &[u8], mut from: usize) -> Option<usize> {
    loop {
        let at = from + memchr::memchr2(b'"', b'\\', bytes.get(from..)?)?;
        if bytes[at] == b'"' {
            return Some(at);
        }
        // A backslash: the next byte is escaped, whatever it is.
        from = at + 2;
    }
}

fn yaml_estimate(bytes: &[u8]) -> usize {
    let mut count = 1;
    let mut previous_indent = 0;
    for line in lines(bytes) {
        count += 1;
        let indent = line.iter().take_while(|&&b| b == b' ').count();
        let rest = &line[indent..];
        let indicator = rest.starts_with(b"- ") || rest.starts_with(b"? ");
        let has_colon = rest.contains(&b':');
        if has_colon && (indent > previous_indent || indicator) {
            count += MAPPING_WEIGHT;
        }
        if !rest.is_empty() && !rest.starts_with(b"#") {
            previous_indent = indent;
        }
        // A table look-up per byte, without a branch: the line's separators and indicators.
        count += rest
            .iter()
            .map(|&b| usize::from(YAML_WEIGHTS[usize::from(b)]))
            .sum::<usize>();
    }
    count
}

/// What a byte of a YAML line adds to the estimate, wherever it stands.
const YAML_WEIGHTS: [u8; 256] = {
    assert!(MAPPING_WEIGHT <= u8::MAX as usize);
    let mut weights = [0; 256];
    weights[b'{' as usize] = MAPPING_WEIGHT as u8;
    weights[b'?' as usize] = MAPPING_WEIGHT as u8;
    weights[b'[' as usize] = 1;
    weights[b',' as usize] = 1;
    weights[b':' as usize] = 1;
    weights[b'-' as usize] = 1;
    weights
};

/// The lines of `bytes` (split at `\n`, the last one possibly empty), found with memchr.
fn lines(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = Some(bytes);
    std::iter::from_fn(move || {
        let text = rest?;
        match memchr::memchr(b'\n', text) {
            Some(end) => {
                rest = text.get(end + 1..);
                Some(&text[..end])
            }
            None => {
                rest = None;
                Some(text)
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimates_bound_the_nodes() {
        assert_eq!(estimate(br#"{"a": [1, 2, {"b": "x,y:[{"}]}"#), 8 + 2 * 5);
        assert_eq!(estimate(br#"{"a\"b,": 1}"#), 3 + 5);
        assert_eq!(estimate(br#"["\\", ",", "\\\"", 1]"#), 5);
        // A string left open, also right after a backslash: counted up to it.
        assert_eq!(estimate(br#"[1, "a,b"#), 3);
        assert_eq!(estimate(br#"[1, "a\"#), 3);
        // YAML: lines and flow separators, quoted or not, and mappings.
        assert_eq!(estimate(b"a: 1\nb: [1, 2]\nc: 'x,y'\n"), 11);
        assert_eq!(estimate(b"- - - 0"), 5);
        // A mapping per item, and one per deeper indentation.
        assert_eq!(estimate(b"- a: 0\n- a: 0"), 3 + 2 * 8);
        assert_eq!(estimate(b"a:\n  b:\n    c: 1"), 4 + 3 + 2 * 6);
    }

    /// 20,000 texts of fewer than `max_len` bytes of `alphabet`, the same for a given seed
    /// (xorshift).
    fn random_texts(
        alphabet: &[u8],
        max_len: u64,
        seed: u64,
    ) -> impl Iterator<Item = Vec<u8>> + '_ {
        let mut state = seed;
        (0..20_000).map(move |_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (0..(state % max_len) as usize)
                .map(|i| alphabet[((state >> (i * 2 % 60)) % alphabet.len() as u64) as usize])
                .collect()
        })
    }

    /// The estimate as a walk over every byte, to check the jumps against.
    fn byte_walk(bytes: &[u8]) -> usize {
        let (mut count, mut in_string, mut escaped) = (1, false, false);
        for &b in bytes {
            if in_string {
                match b {
                    _ if escaped => escaped = false,
                    b'\\' => escaped = true,
                    b'"' => in_string = false,
                    _ => {}
                }
                continue;
            }
            match b {
                b'"' => in_string = true,
                b'{' => count += MAPPING_WEIGHT,
                b'[' | b',' | b':' => count += 1,
                _ => {}
            }
        }
        count
    }

    #[test]
    fn jumping_through_strings_counts_what_a_byte_walk_counts() {
        // The second alphabet is mostly spaces: runs that the walk skips eight at a time.
        let texts = random_texts(br#"{["\,: a"#, 24, 0x9e37_79b9_7f4a_7c15).chain(random_texts(
            br#"{"\:,             "#,
            64,
            0x2545_f491_4f6c_dd1d,
        ));
        for text in texts {
            let mut json = b"[".to_vec();
            json.extend_from_slice(&text);
            assert_eq!(
                json_estimate(&json),
                byte_walk(&json),
                "{:?}",
                String::from_utf8_lossy(&json)
            );
        }
    }

    /// The YAML estimate as a walk over every byte of every line, to check the look-ups
    /// against.
    fn yaml_byte_walk(bytes: &[u8]) -> usize {
        let mut count = 1;
        let mut previous_indent = 0;
        for line in bytes.split(|&b| b == b'\n') {
            count += 1;
            let indent = line.iter().take_while(|&&b| b == b' ').count();
            let rest = &line[indent..];
            let indicator = rest.starts_with(b"- ") || rest.starts_with(b"? ");
            if rest.contains(&b':') && (indent > previous_indent || indicator) {
                count += MAPPING_WEIGHT;
            }
            if !rest.is_empty() && !rest.starts_with(b"#") {
                previous_indent = indent;
            }
            for &b in rest {
                match b {
                    b'{' | b'?' => count += MAPPING_WEIGHT,
                    b'[' | b',' | b':' | b'-' => count += 1,
                    _ => {}
                }
            }
        }
        count
    }

    #[test]
    fn yaml_look_ups_count_what_a_byte_walk_counts() {
        for text in random_texts(b"{?[,:-# a\n\n  ", 30, 0x2545_f491_4f6c_dd1d) {
            assert_eq!(
                yaml_estimate(&text),
                yaml_byte_walk(&text),
                "{:?}",
                String::from_utf8_lossy(&text)
            );
        }
        let document = b"a: 1\nb:\n  - c: [1, 2]\n  - ? d\n    : e\n# x: y\n";
        assert_eq!(yaml_estimate(document), yaml_byte_walk(document));
    }

    #[test]
    fn dense_documents_are_refused_and_ordinary_ones_pass() {
        let limits = Limits {
            max_document_nodes: 1000,
            ..Limits::default()
        };
        let dense = format!("{{\"a\": [{}0]}}", "0,".repeat(1000));
        let e = check(dense.as_bytes(), &limits).unwrap_err();
        assert_eq!(e.code, Code::Apig3602);
        assert!(e.message.contains("at most 1000"), "{}", e.message);
        let yaml = "- 0\n".repeat(1000);
        assert_eq!(
            check(yaml.as_bytes(), &limits).unwrap_err().code,
            Code::Apig3602
        );
        let prose = format!(
            "{{\"description\": \"{}\"}}",
            "lorem, ipsum: [dolor] ".repeat(10_000)
        );
        assert!(check(prose.as_bytes(), &limits).is_ok());
    }
}
