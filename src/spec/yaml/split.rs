//! A large YAML document read by two parsers at once.
//!
//! Once the tree is built beside the parser (pipelined, `Parsing::Threads`), the parser alone is the
//! critical path. An OpenAPI document is mostly its `paths` mapping, whose entries begin
//! on lines of their own at one indentation (`  /pets:`), so the text can be cut there:
//!
//! * the **head**, the text before the cut, is parsed on one thread and built on the calling
//!   thread, as when pipelined; so is the **tail**, the text after `paths` (`components:` …),
//!   if there is one, parsed by the same thread once it is done with the head;
//! * the **side**, the later entries of `paths`, is parsed and built by a third thread into
//!   the second arena, as a document of its own (a mapping indented like `paths`' entries);
//! * where the head's `paths` mapping ends (at the cut), the side's entries are added to it,
//!   and the tail's entries follow in the root mapping.
//!
//! Parsed alone, each part yields the events the whole text yields for it (a line at
//! `paths`' indentation ends every node nested deeper, in a block context), plus the framing
//! of a document of its own, which is dropped. What could make a part differ:
//! * what a stream's start changes: directives (`%TAG` applies to the head only), and what
//!   only a stream's start allows (`...`, a byte-order mark) or reads differently (a line of
//!   a tab, blank to the whole text). `find_cut` does not cut such texts;
//! * a cut inside a node that spans lines (a flow collection, a quoted scalar, a block
//!   scalar under the root): the part before the cut is left unfinished, a syntax error or
//!   a stream whose events do not have the expected shape.
//!
//! So nothing is trusted: **any** fault (a
//! syntax error, a builder error, a duplicate key across the cut, an alias into another
//! part, a budget crossed, an unexpected event) abandons the attempt, and the caller loads
//! the whole text as one stream. Every error a client sees therefore comes from the whole
//! text, with its real position; the events' positions here are those of each part and are
//! never reported.

use super::{parser, pipe, step, At, Budget, Cost, Event, Frame, Key, Loader, Step};
use crate::spec::{Object, Value};
use bumpalo::Bump;
use granit_parser::StructureStyle;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::ScopedJoinHandle;

/// Where the text is cut: the side is `start..end`, `paths`' entries from a line at their
/// indentation up to the next root key (or the end of the text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Cut {
    start: usize,
    end: usize,
}

/// A side smaller than this is not worth a thread (a thread starts in ~50 µs; 32 KiB of
/// YAML parse in ~1.5 ms here).
const MIN_SIDE_BYTES: usize = 32 * 1024;

/// The side's share of the text, in fifteenths. The side's thread builds what it parses,
/// while the head's parser hands its events to the calling thread, so the side takes a
/// little less than half: parsing is ~7/8 of loading, and 7/15 of the text loaded takes
/// about as long as 8/15 parsed.
const SIDE_FIFTEENTHS: usize = 7;

/// Where `text` can be cut, if it has a block `paths` mapping large enough: the line
/// `paths:` at column 0 with nothing after the colon but blanks or a comment, then entries
/// on lines of `n` spaces and a `/`, then the end of the text or a line that starts a root
/// key. No cut where a part alone would be read differently from the whole text:
/// directives (`%TAG` changes what `!!str` means, for the head only) or, where `paths`
/// ends, anything but a plain or quoted key at column 0 (a tab-indented line, which the
/// whole text reads as blank; `...` or a byte-order mark, which only a stream's start
/// allows).
pub(super) fn find_cut(text: &str) -> Option<Cut> {
    let value = paths_value(text)?;
    if text.starts_with('%') || text[..value].contains("\n%") {
        return None;
    }
    let (first_entry, indent) = first_entry(text, value)?;
    let end = end_of_block(text, first_entry);
    if !text[end..].is_empty() && !starts_key(&text[end..]) {
        return None;
    }
    let wanted = (text.len() / 15).saturating_mul(SIDE_FIFTEENTHS);
    let mut from = end.saturating_sub(wanted).max(first_entry + 1);
    while !text.is_char_boundary(from - 1) {
        from += 1;
    }
    let entry = format!("\n{}/", " ".repeat(indent));
    let start = from - 1 + text.get(from - 1..end)?.find(&entry)? + 1;
    (end - start >= MIN_SIDE_BYTES).then_some(Cut { start, end })
}

/// Where the line after `paths:` starts.
fn paths_value(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut from = 0;
    loop {
        let at = from + text.get(from..)?.find("paths:")?;
        from = at + 1;
        if at > 0 && bytes[at - 1] != b'\n' {
            continue;
        }
        let line_end = text[at..].find('\n').map_or(text.len(), |n| at + n);
        let rest = text[at + "paths:".len()..line_end].trim_start_matches([' ', '\t']);
        if rest.is_empty() || rest == "\r" || rest.starts_with('#') {
            return (line_end < text.len()).then_some(line_end + 1);
        }
    }
}

/// The first line of `paths`' value that is not blank or a comment, if it is an entry (`n`
/// spaces, `n` > 0, and a `/`): where it starts, and `n`.
fn first_entry(text: &str, from: usize) -> Option<(usize, usize)> {
    let mut line_start = from;
    for line in text[from..].split_inclusive('\n') {
        let content = line.trim_start_matches(' ');
        let indent = line.len() - content.len();
        if content.starts_with('/') && indent > 0 {
            return Some((line_start, indent));
        }
        if !(content.trim().is_empty() || content.starts_with('#')) {
            return None;
        }
        line_start += line.len();
    }
    None
}

/// Whether a root-level line starts a plain or quoted key (not an indicator, a tab, a
/// document marker or a byte-order mark).
fn starts_key(line: &str) -> bool {
    line.bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'"' | b'\'' | b'$'))
}

/// The first line after `from` with something at column 0 that is not a comment, or the end.
fn end_of_block(text: &str, from: usize) -> usize {
    let bytes = text.as_bytes();
    let starts_content = |(&b, &next): (&u8, &u8)| {
        (b == b'\n') & (next != b' ') & (next != b'\n') & (next != b'\r') & (next != b'#')
    };
    // Blocks are tested whole first, without branches, a loop the compiler vectorises: the
    // block is most of a large document (a line at a time took 7 ms for 6 MB, this 0.5).
    let mut at = from;
    while at + 1 < bytes.len() {
        let end = (at + 256).min(bytes.len() - 1);
        let pairs = || bytes[at..end].iter().zip(&bytes[at + 1..=end]);
        if pairs().fold(false, |hit, pair| hit | starts_content(pair)) {
            if let Some(i) = pairs().position(starts_content) {
                return at + i + 1;
            }
        }
        at = end;
    }
    text.len()
}

/// The side, built: the entries of its root mapping, and what they cost.
struct Side<'a> {
    entries: &'a Object<'a>,
    nodes: usize,
    bytes: usize,
}

/// Why the attempt is abandoned; the caller then loads the whole text.
struct Abandon;

/// Load `text` cut at `cut` into `loader` (its head and tail) and `side`. `None` when the
/// attempt is abandoned, whatever the reason: `loader` is then spent.
pub(super) fn load<'a>(
    loader: &mut Loader<'a>,
    side: &'a mut Bump,
    text: &'a str,
    cut: Cut,
) -> Option<()> {
    let budget = loader.budget;
    // The side's root mapping stands for `paths`, one level below the root.
    let side_budget = Budget {
        max_depth: budget.max_depth.checked_sub(1)?,
        ..budget
    };
    let (head, side_text) = (&text[..cut.start], &text[cut.start..cut.end]);
    let tail = (cut.end < text.len()).then(|| &text[cut.end..]);
    let abandoned = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let abandoned = &abandoned;
        let side = std::thread::Builder::new()
            .name("spec-yaml-side".into())
            .spawn_scoped(scope, move || {
                load_side(side, side_text, side_budget, abandoned)
            })
            .ok()?;
        let (mut producer, consumer) = pipe();
        let parsing = std::thread::Builder::new()
            .name("spec-yaml".into())
            .spawn_scoped(scope, move || {
                let mut head = parser(head, budget);
                if !producer.parse(&mut head) {
                    return;
                }
                if let Some(tail) = tail {
                    let mut tail = parser(tail, budget);
                    // Anchors of the two parts are told apart, as in one stream.
                    tail.set_anchor_offset(head.anchor_offset());
                    if !producer.parse(&mut tail) {
                        return;
                    }
                }
                producer.finish();
            });
        let Ok(parsing) = parsing else {
            abandoned.store(true, Ordering::Relaxed);
            return None;
        };
        let mut splice = Splice {
            loader,
            phase: Phase::Head,
            side: Some(side),
            has_tail: tail.is_some(),
            abandoned,
        };
        let built = consumer.each(|next| splice.step(next));
        let finished = built.is_ok() && matches!(splice.phase, Phase::Rest);
        if !finished {
            abandoned.store(true, Ordering::Relaxed);
        }
        if built.is_ok() {
            // The stream ended: either the parser finished or it panicked.
            if let Err(panic) = parsing.join() {
                std::panic::resume_unwind(panic);
            }
        }
        finished.then_some(())
    })
}

/// Parse and build the side, unless the attempt is abandoned meanwhile.
fn load_side<'a>(
    arena: &'a mut Bump,
    text: &'a str,
    budget: Budget,
    abandoned: &AtomicBool,
) -> Option<Side<'a>> {
    let mut loader = Loader::new(arena, budget);
    let mut parser = parser(text, budget);
    let mut events = 0usize;
    while let Some(next) = parser.next_event() {
        events += 1;
        let stop = events % 1024 == 0 && abandoned.load(Ordering::Relaxed);
        let closes_root = matches!(next, Ok((Event::MappingEnd, _))) && loader.stack.len() == 1;
        if stop || (closes_root && loader.merges_here()) || loader.step(step(next)).is_err() {
            abandoned.store(true, Ordering::Relaxed);
            return None;
        }
    }
    match loader.root {
        Some(Value::Object(entries)) if loader.documents == 1 => Some(Side {
            entries,
            // The side's own root mapping is not in the whole text's tree.
            nodes: loader.nodes - 1,
            bytes: loader.bytes,
        }),
        _ => {
            abandoned.store(true, Ordering::Relaxed);
            None
        }
    }
}

/// Where the calling thread is in the stream of head and tail.
enum Phase {
    /// The head's events go to the loader, up to the end of `paths`.
    Head,
    /// The head's closing of the root mapping, its document and its stream: how many of the
    /// three have been seen. Nothing else may follow `paths` in the head. With a tail, they
    /// are dropped (the tail's close the whole).
    HeadClosing(u8),
    /// The tail's opening of its stream, document and root mapping, dropped: how many of
    /// the three have been seen.
    TailOpening(u8),
    /// Every event goes to the loader.
    Rest,
}

struct Splice<'l, 'a, 's> {
    loader: &'l mut Loader<'a>,
    phase: Phase,
    side: Option<ScopedJoinHandle<'s, Option<Side<'a>>>>,
    has_tail: bool,
    abandoned: &'s AtomicBool,
}

impl<'a> Splice<'_, 'a, '_> {
    fn step(&mut self, next: Step<'a>) -> Result<(), Abandon> {
        if self.abandoned.load(Ordering::Relaxed) {
            return Err(Abandon);
        }
        let (event, at) = next.map_err(|_| Abandon)?;
        match self.phase {
            Phase::Head => {
                if matches!(event, Event::MappingEnd) && self.loader.closes_paths() {
                    self.add_side()?;
                    self.phase = Phase::HeadClosing(0);
                } else if matches!(event, Event::StreamEnd) {
                    // The head ended without `paths` open: the cut is not where it seemed.
                    return Err(Abandon);
                }
            }
            Phase::HeadClosing(seen) => {
                let expected = match seen {
                    0 => matches!(event, Event::MappingEnd),
                    1 => matches!(event, Event::DocumentEnd),
                    _ => matches!(event, Event::StreamEnd),
                };
                if !expected {
                    return Err(Abandon);
                }
                self.phase = match (seen, self.has_tail) {
                    (0 | 1, _) => Phase::HeadClosing(seen + 1),
                    (_, true) => Phase::TailOpening(0),
                    (_, false) => Phase::Rest,
                };
                if self.has_tail {
                    return Ok(());
                }
            }
            Phase::TailOpening(seen) => {
                let expected = match seen {
                    0 => matches!(event, Event::StreamStart),
                    1 => matches!(event, Event::DocumentStart(false, None)),
                    // The tail's first line is the root key that ends `paths`.
                    _ => {
                        matches!(event, Event::MappingStart(StructureStyle::Block, 0, None))
                            && at == At { line: 1, column: 1 }
                    }
                };
                if !expected {
                    return Err(Abandon);
                }
                self.phase = if seen < 2 {
                    Phase::TailOpening(seen + 1)
                } else {
                    Phase::Rest
                };
                return Ok(());
            }
            Phase::Rest => {}
        }
        self.loader.event(event, at).map_err(|_| Abandon)
    }

    /// The side's entries join the head's `paths`, and their cost the loader's totals.
    fn add_side(&mut self) -> Result<(), Abandon> {
        let side = match self.side.take().ok_or(Abandon)?.join() {
            Ok(side) => side.ok_or(Abandon)?,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        let loader = &mut *self.loader;
        let Some(Frame::Map { map, .. }) = loader.stack.last_mut() else {
            return Err(Abandon);
        };
        for (key, value) in side.entries.iter() {
            // A key in both parts: the whole text says where.
            map.insert(&mut loader.stacks, key, value.clone())
                .map_err(|_| Abandon)?;
        }
        let cost = Cost {
            nodes: side.nodes,
            bytes: side.bytes,
            height: 0,
        };
        // Over the budget, the whole text is loaded again and says where: this position is
        // never reported.
        let nowhere = At { line: 0, column: 0 };
        loader.charge(cost, nowhere).map_err(|_| Abandon)
    }
}

impl Loader<'_> {
    /// Whether a mapping's end now closes the root's `paths`, with no anchors on it or on the
    /// root (whose costs, for aliases, would have to include the side's) and no merge key in
    /// the head's part of it.
    fn closes_paths(&self) -> bool {
        matches!(
            self.stack.as_slice(),
            [
                Frame::Map {
                    key: Some((Key::Name("paths"), _)),
                    anchor: 0,
                    ..
                },
                Frame::Map {
                    key: None,
                    anchor: 0,
                    merges,
                    ..
                },
            ] if merges.is_empty()
        )
    }

    /// Whether the innermost mapping has merge keys (`<<`). Those of `paths` are applied
    /// when it ends, after every written key and in the order written: a part that applied
    /// its own before the other's entries were added could let a different one win.
    fn merges_here(&self) -> bool {
        matches!(self.stack.last(), Some(Frame::Map { merges, .. }) if !merges.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{both_ways, ROOMY};
    use super::super::{load as load_yaml, LoadError, Parsing};
    use super::*;
    use crate::docgen::{generate, Format, Spec, Version};

    fn document(version: Version) -> String {
        generate(&Spec::new(version, Format::Yaml, 300))
    }

    /// Loaded cut in two, `None` if the attempt was abandoned; the tree as JSON.
    fn cut_in_two(text: &str) -> Option<serde_json::Value> {
        let (arena, mut side) = (Bump::new(), Bump::new());
        let mut loader = Loader::new(&arena, ROOMY);
        load(&mut loader, &mut side, text, find_cut(text)?)?;
        loader.root.map(|root| root.to_json())
    }

    /// The path keys of `text`'s `paths`, in order.
    fn path_keys(tree: &serde_json::Value) -> Vec<String> {
        tree["paths"]
            .as_object()
            .map_or(vec![], |p| p.keys().cloned().collect())
    }

    #[test]
    fn the_cut_falls_between_two_entries_of_paths() {
        let text = document(Version::OpenApi30);
        let cut = find_cut(&text).expect("a generated document can be cut");
        assert!(
            text[cut.start..].starts_with("  /"),
            "{:?}",
            &text[cut.start..][..20]
        );
        assert_eq!(text.as_bytes()[cut.start - 1], b'\n');
        // `paths` is the generated document's last key.
        assert_eq!(cut.end, text.len());
        let share = (cut.end - cut.start) as f64 / text.len() as f64;
        assert!(
            (0.40..0.50).contains(&share),
            "the side is {share} of the text"
        );

        for no_cut in [
            "paths: |\n  /a: 1\n".to_string(),
            "paths: {}\n".to_string(),
            format!("paths:\n  - /a\n{}", "  - /b\n".repeat(10_000)),
            format!("x:\n  paths:\n{}", "    /a: 1\n".repeat(10_000)),
            // Too small a side to pay for a thread.
            format!("paths:\n{}", "  /a: 1\n".repeat(1_000)),
        ] {
            assert_eq!(find_cut(&no_cut), None, "{:?}", &no_cut[..20]);
        }
        // Text of several bytes a character: the cut still falls on a line's start.
        let wide: String = (0..20_000).map(|i| format!("  /p{i}: déjà vu\n")).collect();
        let wide = format!("paths:\n{wide}");
        let cut = find_cut(&wide).expect("cut");
        assert!(wide[cut.start..].starts_with("  /p"));

        // The side stops at the first line at column 0 that is not a comment.
        let with_tail = format!(
            "openapi: 3.0.3\npaths:\n{}# a comment\n{}components: {{}}\n",
            "  /a: 1\n".repeat(10_000),
            "  /b: 2\n".repeat(10_000)
        );
        let cut = find_cut(&with_tail).expect("cut");
        assert_eq!(&with_tail[cut.end..], "components: {}\n");
    }

    #[test]
    fn generated_documents_are_cut_and_load_as_one_thread_does() {
        for version in [Version::Swagger2, Version::OpenApi30, Version::OpenApi31] {
            let text = document(version);
            let whole = both_ways(&text, ROOMY).expect("the generated document loads");
            let tree = cut_in_two(&text).expect("the attempt is not abandoned");
            assert_eq!(tree, whole);
            assert!(path_keys(&tree).len() > 100);

            // A tail after `paths`, with anchors of its own and of the head's numbering.
            let tail =
                format!("x-head: &h {{k: 1}}\n{text}x-tail: &t {{k: 2}}\nx-uses: [*t, *t]\n");
            let whole = both_ways(&tail, ROOMY).expect("with a tail");
            assert_eq!(cut_in_two(&tail).as_ref(), Some(&whole));
            assert_eq!(whole["x-uses"][1]["k"], 2);

            // The same text with CRLF line ends.
            let crlf = text.replace('\n', "\r\n");
            assert_eq!(
                cut_in_two(&crlf).as_ref(),
                Some(&both_ways(&crlf, ROOMY).unwrap())
            );
        }
    }

    #[test]
    fn real_world_documents_are_cut_and_load_as_one_thread_does() {
        for file in ["moby_swagger.yaml", "twilio_messaging_v1.yaml"] {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../shared/fixtures/realworld")
                .join(file);
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()));
            let whole = both_ways(&text, ROOMY).expect(file);
            assert_eq!(cut_in_two(&text).as_ref(), Some(&whole), "{file}");
        }
    }

    #[test]
    fn any_fault_is_reported_from_the_whole_text() {
        let text = document(Version::OpenApi30);
        let cut = find_cut(&text).expect("cut");
        let (head, side) = (&text[..cut.start], &text[cut.start..]);
        let first_key = |part: &str| {
            part.lines()
                .find(|l| l.starts_with("  /"))
                .map(|l| l.trim_end().to_string())
                .expect("an entry")
        };
        let line_of = |text: &str, needle: &str| {
            text.lines()
                .position(|l| l.starts_with(needle))
                .map(|n| n + 1)
        };

        // A path in the head written again in the side: the second one is refused, where
        // it stands in the whole text.
        let again = format!("{head}{}\n    x-again: 1\n{side}", first_key(head));
        let outcome = both_ways(&again, ROOMY);
        let Err(LoadError::DuplicateKey { at, .. }) = outcome else {
            panic!("a path written twice is refused: {outcome:?}");
        };
        assert_eq!(Some(at.line), line_of(&again, "    x-again").map(|n| n - 1));
        assert!(cut_in_two(&again).is_none());

        // Syntax errors in the head, in the side, and at the very end.
        let broken_head = text.replacen("  /", "  /{[x\n", 1);
        let broken_side = format!("{head}  /broken: [\n{side}");
        let broken_end = format!("{text}  /end: \"open\n");
        for broken in [&broken_head, &broken_side, &broken_end] {
            let e = both_ways(broken, ROOMY).unwrap_err();
            assert!(matches!(e, LoadError::Syntax { .. }), "{e:?}");
            assert!(cut_in_two(broken).is_none());
        }

        // Nesting over the limit in the side: counted from the whole text's root (the root
        // and `paths` are two of the 128 levels).
        let deep = format!("{text}  /deep: {}{}\n", "[".repeat(127), "]".repeat(127));
        let fits = format!("{text}  /deep: {}{}\n", "[".repeat(126), "]".repeat(126));
        assert!(matches!(
            both_ways(&deep, ROOMY),
            Err(LoadError::TooDeep { .. })
        ));
        assert!(both_ways(&fits, ROOMY).is_ok());
        assert!(cut_in_two(&fits).is_some());

        // A budget the parts each keep but the whole crosses.
        let arena = Bump::new();
        let mut whole = Loader::new(&arena, ROOMY);
        super::super::load_here(&mut whole, &text).expect("the generated document loads");
        let tight = Budget {
            max_nodes: whole.nodes - 1,
            ..ROOMY
        };
        assert!(matches!(
            both_ways(&text, tight),
            Err(LoadError::TooLarge { .. })
        ));
    }

    #[test]
    fn texts_that_only_look_cuttable_load_as_one_thread_does() {
        let text = document(Version::OpenApi30);
        let cut = find_cut(&text).expect("cut");
        let (head, side) = (&text[..cut.start], &text[cut.start..]);
        let entry = "  /from-the-side:\n    x-a: 1\n";
        for odd in [
            // An alias in the side to an anchor in the head: valid, but not for the side
            // alone.
            format!("x-shared: &shared {{a: 1}}\n{head}  /alias:\n    x-s: *shared\n{side}"),
            // Merge keys in `paths`, in the head and in the side: the head's merged entry
            // wins where both give one, as in the whole text.
            format!("{head}  <<: {{/m: {{v: head}}}}\n{side}  <<: {{/m: {{v: side}}, /n: {{}}}}\n"),
            format!("{head}{side}  <<: {{/n: {{}}}}\n"),
            // A quoted scalar and a flow collection running over the cut.
            format!("{head}  /q: \"a\n  /b: c\"\n{side}"),
            format!("{head}  /f: [a,\n  /b, c]\n{side}"),
            // A second document after `paths`.
            format!("{text}---\nx: 1\n"),
            // An anchored root.
            format!("--- &root\n{text}"),
            // A tail that repeats a root key.
            format!("{text}openapi: 3.1.0\n"),
            // A line less indented than the entries but not at column 0.
            format!("{head} /one-space: 1\n{side}"),
            // A line of a tab inside `paths` (blank to the whole text), then more entries.
            format!("{head}{side}\t\n  /late:\n    x-l: 1\n"),
            format!("{head}{side}\t# note\n  /late:\n    x-l: 1\n"),
            // After `paths`, what only a stream's start allows: a document end marker, a
            // byte-order mark.
            format!("{text}...\nx-more: 1\n"),
            format!("{text}\u{feff}x-more: 1\n"),
            // A directive that changes what a tag means, for the whole text.
            format!("%TAG !! tag:example.com,2000:\n---\n{text}  /tagged:\n    x-n: !!str 42\n"),
            format!("%YAML 1.2\n---\n{text}"),
            format!("{head}{entry}{side}"),
        ] {
            let whole = both_ways(&odd, ROOMY);
            if let Some(tree) = cut_in_two(&odd) {
                assert_eq!(Ok(tree), whole, "{:?}", &odd[..40]);
            }
        }
        // The merge keys' example is loaded as the whole text says.
        let merged =
            format!("{head}  <<: {{/m: {{v: head}}}}\n{side}  <<: {{/m: {{v: side}}, /n: {{}}}}\n");
        let tree = both_ways(&merged, ROOMY).expect("merges");
        assert_eq!(tree["paths"]["/m"]["v"], "head");
        let keys = path_keys(&tree);
        assert_eq!(&keys[keys.len() - 2..], ["/m", "/n"]);
    }

    #[test]
    fn the_loader_chooses_threads_only_through_the_parsing_mode() {
        let text = document(Version::OpenApi30);
        let (arena, mut side) = (Bump::new(), Bump::new());
        let tree = load_yaml(&arena, &text, ROOMY, Parsing::Threads(&mut side))
            .expect("loads")
            .to_json();
        // The side's entries live in the second arena.
        assert!(side.allocated_bytes() > 0);
        assert_eq!(Some(tree), cut_in_two(&text));
    }
}
