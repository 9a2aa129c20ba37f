//! YAML's node budget, checked on the text before it is parsed (JSON's is counted while it
//! is decoded, `bounded`); `decode` calls it once it knows the text is YAML.
//!
//! A decoded node costs 24 to 40 bytes of the tree (`tree`: a value; an object entry adds
//! its key) and as much again on the builder's stack while its collection is open: a
//! document made to be dense must be refused before its tree is built. YAML's loader
//! charges every alias expansion against a budget of its own (`yaml`), so what the text
//! writes is counted here, once, before the parser runs. Counting the separators that
//! introduce a node is linear, allocates nothing and is exact enough: it never counts fewer
//! nodes than the decoder would build from the text, and a real document has many bytes per
//! node (a 4.6 MB import of 300 operations is ~100,000 nodes), so only a document made to
//! be dense meets the limit.

use crate::config::Limits;
use crate::error::{ApigError, Code};

/// Refuse (`APIG.3602`) a YAML text (its byte-order mark removed) that would decode to
/// more than `limits.max_document_nodes` nodes.
pub fn check(text: &str, limits: &Limits) -> Result<(), ApigError> {
    let nodes = estimate(text.as_bytes());
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

/// What a mapping costs, in nodes, beside its keys and values (JSON's count uses the same
/// weight): its entries are gathered on the builder's stack, then moved into the arena with
/// a key index above 16 entries.
pub const MAPPING_WEIGHT: usize = 6;

/// An upper bound (plus one) on the nodes a YAML text can produce before alias expansion, a
/// mapping counting [`MAPPING_WEIGHT`].
///
/// Every node needs its own line, a flow separator, an indicator (`- `, `? `) or is the
/// value after a key's `:`; quotes are not followed (an apostrophe in a plain scalar would
/// hide the separators after it), so these bytes count wherever they are — in text too,
/// which only raises the bound. A block mapping starts on a line indented deeper than the
/// one before, or after `- ` / `? `: such lines count as mappings.
fn estimate(bytes: &[u8]) -> usize {
    let mut count = 1;
    let mut previous_indent = 0;
    for line in lines(bytes) {
        count += 1;
        let indent = line.iter().take_while(|&&b| b == b' ').count();
        let rest = &line[indent..];
        // Most lines are no deeper than the one before: the colon is only looked for on
        // lines that open a level (deeper, or after `- ` / `? `); searching every line
        // made the estimate ~30 % slower.
        let opens = indent > previous_indent || rest.starts_with(b"- ") || rest.starts_with(b"? ");
        if opens && rest.contains(&b':') {
            count += MAPPING_WEIGHT;
        }
        if !rest.is_empty() && !rest.starts_with(b"#") {
            previous_indent = indent;
        }
    }
    // The separators and indicators count wherever they stand: summed over the whole text
    // at once (spaces and line breaks weigh nothing).
    count + separator_weights(bytes)
}

/// What the separators and indicators of `bytes` add to the estimate: a flow mapping or a
/// complex key ([`MAPPING_WEIGHT`]), a flow sequence, a separator, a key's colon or a
/// sequence entry (one each). Counted in blocks of 255 bytes into byte-sized counters, a
/// loop the compiler turns into vector instructions (a table look-up per byte was 11
/// instructions a byte of the whole YAML import's estimate).
fn separator_weights(bytes: &[u8]) -> usize {
    bytes
        .chunks(usize::from(u8::MAX))
        .map(|block| {
            let (mut mappings, mut others) = (0u8, 0u8);
            for &b in block {
                mappings += u8::from((b == b'{') | (b == b'?'));
                others += u8::from((b == b'[') | (b == b',') | (b == b':') | (b == b'-'));
            }
            usize::from(mappings) * MAPPING_WEIGHT + usize::from(others)
        })
        .sum()
}

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
        // Lines and flow separators, quoted or not, and mappings.
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
                estimate(&text),
                yaml_byte_walk(&text),
                "{:?}",
                String::from_utf8_lossy(&text)
            );
        }
        let document = b"a: 1\nb:\n  - c: [1, 2]\n  - ? d\n    : e\n# x: y\n";
        assert_eq!(estimate(document), yaml_byte_walk(document));
        // Texts longer than a counting block, separators filling whole blocks.
        for text in [
            "{?[,:-# a\n".repeat(300),
            "{".repeat(1000),
            "- ".repeat(2000),
        ] {
            assert_eq!(estimate(text.as_bytes()), yaml_byte_walk(text.as_bytes()));
        }
    }

    #[test]
    fn dense_documents_are_refused_and_ordinary_ones_pass() {
        let limits = Limits {
            max_document_nodes: 1000,
            ..Limits::default()
        };
        let yaml = "- 0\n".repeat(1000);
        let e = check(&yaml, &limits).unwrap_err();
        assert_eq!(e.code, Code::Apig3602);
        assert!(e.message.contains("at most 1000"), "{}", e.message);
        let prose = format!("description: '{}'", "lorem ipsum dolor ".repeat(10_000));
        assert!(check(&prose, &limits).is_ok());
    }
}
