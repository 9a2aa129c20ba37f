//! YAML text → the document tree (`tree`), straight from the parser's event stream, with every
//! budget applied as the events arrive.
//!
//! * Scalars follow YAML 1.2's core schema: only `true`/`false` (any case form the schema
//!   lists) are booleans, `yes`/`on`/`no` are text; `null`, `~` and nothing are null;
//!   decimal, `0x` and `0o` integers; floats with `.inf`/`.nan` kept as the text `.inf`,
//!   `-.inf`, `.nan` (JSON has no such numbers); everything else, and anything quoted or in a
//!   block, is a string. `!!str`, `!!int`, `!!float`, `!!bool`, `!!null` force a type; the
//!   non-specific `!` makes a string; other tags are ignored.
//! * A key written twice in one mapping is refused where the second one stands. Merge keys
//!   (`<<: *base`, `<<: [*a, *b]`) are expanded: keys written in the mapping win, then the
//!   earlier merged mapping.
//! * Nesting is counted for block and flow collections alike, and an alias adds the height
//!   of what it repeats.
//! * Aliases are paid for by what they produce: every value and every byte of text in the
//!   result counts, a repeated block as often as it is repeated (and an anchored block once
//!   more). The tree shares a repeated block instead of copying it, so its memory stays far
//!   below the budget; what the budget bounds is the mapping's reading of the tree, which
//!   visits a block as often as it is repeated.
//!
//! The builder keeps its own stack and never recurses, whatever the input.

use super::object::{ListBuilder, ObjectBuilder, Stacks};
use super::tree::Value;
use bumpalo::Bump;
use granit_parser::{ErrorKind, Event, Marker, Options, Parser, ScalarStyle, ScanError, Tag};
use serde_json::Number;
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::mpsc;

mod split;

/// What a document may produce.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// Collections nested in each other (the root mapping is level 1).
    pub max_depth: usize,
    /// Values and mapping keys in the result, alias copies included.
    pub max_nodes: usize,
    /// Bytes of scalar and key text in the result, alias copies included.
    pub max_bytes: usize,
}

/// A position in the text: 1-based line and column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct At {
    pub line: usize,
    pub column: usize,
}

impl From<Marker> for At {
    fn from(m: Marker) -> Self {
        At {
            line: m.line(),
            column: m.col() + 1,
        }
    }
}

impl fmt::Display for At {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at line {} column {}", self.line, self.column)
    }
}

/// Why a text is not a usable YAML document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadError {
    /// The text is not YAML.
    Syntax {
        message: String,
        at: At,
    },
    /// Collections nested deeper than the budget allows.
    TooDeep {
        limit: usize,
        at: At,
    },
    /// The result would hold more values or text than the budget allows.
    TooLarge {
        what: &'static str,
        limit: usize,
        at: At,
    },
    /// More than one document in the stream.
    MultipleDocuments {
        at: At,
    },
    DuplicateKey {
        key: String,
        at: At,
    },
    /// A sequence or mapping used as a mapping key.
    ComplexKey {
        at: At,
    },
    /// A merge key (`<<`) whose value is not a mapping or a list of mappings.
    BadMerge {
        at: At,
    },
    /// A scalar whose core-schema tag does not match its text (`!!int abc`).
    BadTagged {
        tag: &'static str,
        text: String,
        at: At,
    },
    /// An alias inside the node its anchor names.
    RecursiveAlias {
        at: At,
    },
}

impl LoadError {
    /// Whether the document breaks a size or complexity limit rather than YAML's syntax.
    pub fn is_limit(&self) -> bool {
        matches!(
            self,
            LoadError::TooDeep { .. }
                | LoadError::TooLarge { .. }
                | LoadError::MultipleDocuments { .. }
                | LoadError::RecursiveAlias { .. }
        )
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Syntax { message, at } => write!(f, "{message} {at}"),
            LoadError::TooDeep { limit, at } => write!(
                f,
                "the document is nested too deeply (more than {limit} levels) {at}"
            ),
            LoadError::TooLarge { what, limit, at } => write!(
                f,
                "the YAML document expands to more than {limit} {what}, aliases included {at}"
            ),
            LoadError::MultipleDocuments { at } => {
                write!(f, "the file holds more than one YAML document {at}")
            }
            LoadError::DuplicateKey { key, at } => {
                write!(f, "duplicate key {:?} {at}", cut(key, 128))
            }
            LoadError::ComplexKey { at } => {
                write!(
                    f,
                    "a mapping key must be a scalar, not a list or a mapping {at}"
                )
            }
            LoadError::BadMerge { at } => write!(
                f,
                "the merge key << must be followed by a mapping or a list of mappings {at}"
            ),
            LoadError::BadTagged { tag, text, at } => {
                write!(f, "{:?} is not a valid !!{tag} {at}", cut(text, 128))
            }
            LoadError::RecursiveAlias { at } => {
                write!(f, "an alias refers to a node that contains it {at}")
            }
        }
    }
}

impl std::error::Error for LoadError {}

/// At most `max` characters of client text, cut on a character boundary.
fn cut(text: &str, max: usize) -> Cow<'_, str> {
    match text.char_indices().nth(max) {
        Some((end, _)) => Cow::Owned(format!("{}…", &text[..end])),
        None => Cow::Borrowed(text),
    }
}

/// How the text is read.
#[derive(Debug)]
pub enum Parsing<'s> {
    /// Parser and tree builder take turns on the calling thread.
    OneThread,
    /// Parsed on other threads while the calling thread builds the tree, in the second arena
    /// for what another thread builds:
    /// * **Pipelined**: one parser hands its events over in bundles. The builder is about a
    ///   seventh of the parser's work (180 M of 1,457 M instructions for a 5,000-operation
    ///   document), and this takes it off the critical path.
    /// * **Cut in two** (`split`), when the text can be cut between two entries of a block
    ///   `paths` mapping: a third thread parses and builds the later part of `paths`
    ///   meanwhile, so that the parser, alone on the critical path once pipelined, is shared
    ///   by two threads. A text that cannot be cut, or that has any fault at all, is then
    ///   loaded pipelined.
    ///
    /// Either way the builder sees the events of the whole text in their order, so the
    /// result and every error are those of [`Parsing::OneThread`].
    Threads(&'s mut Bump),
}

/// Events handed from the parser to the builder at once: a channel message per event would
/// wake the builder 565,000 times for the 6.2 MB 5,000-operation document (bundles of 512
/// still 1,100 times, for no gain); bundles of 4,096 gained no more and hold twice the memory.
const EVENTS_PER_BUNDLE: usize = 2048;

/// Bundles queued ahead of the builder, at most. With the one waiting to be queued, the one
/// being filled and the one being built from, at most five exist (a step is 128 bytes:
/// 1.25 MiB in all); emptied bundles go back to the parser, so that each is allocated once.
const BUNDLES_AHEAD: usize = 2;

/// One step of the parser: an event and where it starts, or where the text stops being YAML.
type Step<'a> = Result<(Event<'a>, At), ScanError>;

type Bundle<'a> = Vec<Step<'a>>;

/// Load the single document of `text`; an empty stream is `null`.
pub fn load<'a>(
    arena: &'a Bump,
    text: &'a str,
    budget: Budget,
    parsing: Parsing<'a>,
) -> Result<Value<'a>, LoadError> {
    let mut loader = Loader::new(arena, budget);
    match parsing {
        Parsing::OneThread => load_here(&mut loader, text),
        Parsing::Threads(side) => {
            let cut = split::find_cut(text);
            if cut.is_some_and(|cut| split::load(&mut loader, side, text, cut).is_some()) {
                Ok(())
            } else {
                // What the attempt built stays in the arenas until they are dropped.
                loader = Loader::new(arena, budget);
                load_pipelined(&mut loader, text)
            }
        }
    }?;
    Ok(loader.root.unwrap_or(Value::Null))
}

fn parser(text: &str, budget: Budget) -> Parser<'_, granit_parser::StrInput<'_>> {
    // The parser looks ahead while scanning flow collections: its own nesting guard, set to
    // ours, stops a `[[[[…` document before it scans more than it may keep.
    let mut options = Options::default();
    options.flow_nesting_limit = budget.max_depth;
    options.block_nesting_limit = budget.max_depth;
    Parser::new_from_str_with_options(text, options)
}

fn step(next: Result<(Event<'_>, granit_parser::Span), ScanError>) -> Step<'_> {
    next.map(|(event, span)| (event, span.start.into()))
}

fn load_here<'a>(loader: &mut Loader<'a>, text: &'a str) -> Result<(), LoadError> {
    let mut parser = parser(text, loader.budget);
    while let Some(next) = parser.next_event() {
        loader.step(step(next))?;
    }
    Ok(())
}

/// The builder stops at its first error and drops the receiver; the parser then stops at its
/// next bundle. A thread that cannot be started leaves the work to the calling thread.
fn load_pipelined<'a>(loader: &mut Loader<'a>, text: &'a str) -> Result<(), LoadError> {
    let budget = loader.budget;
    let outcome = std::thread::scope(|scope| {
        let (mut producer, consumer) = pipe();
        let parsing = std::thread::Builder::new()
            .name("spec-yaml".into())
            .spawn_scoped(scope, move || {
                if producer.parse(&mut parser(text, budget)) {
                    producer.finish();
                }
            });
        let Ok(parsing) = parsing else {
            return None;
        };
        let built = consumer.each(|next| loader.step(next));
        if built.is_ok() {
            // The stream ended: either the parser finished or it panicked.
            if let Err(panic) = parsing.join() {
                std::panic::resume_unwind(panic);
            }
        }
        Some(built)
    });
    match outcome {
        Some(built) => built,
        None => load_here(loader, text),
    }
}

/// A bounded queue of bundles from a parsing thread to the builder, with the emptied
/// bundles going back.
fn pipe<'a>() -> (Producer<'a>, Consumer<'a>) {
    let (sender, receiver) = mpsc::sync_channel(BUNDLES_AHEAD);
    let (spares, spare) = mpsc::channel();
    let producer = Producer {
        sender,
        spare,
        filling: Vec::with_capacity(EVENTS_PER_BUNDLE),
    };
    (producer, Consumer { receiver, spares })
}

/// The parsing thread's end of a [`pipe`].
struct Producer<'a> {
    sender: mpsc::SyncSender<Bundle<'a>>,
    spare: mpsc::Receiver<Bundle<'a>>,
    filling: Bundle<'a>,
}

impl<'a> Producer<'a> {
    /// Queue every step of `parser`. False when nothing more is wanted: the builder has
    /// stopped, or the text stopped being YAML (the error is queued, the parser's last word).
    fn parse(&mut self, parser: &mut Parser<'a, granit_parser::StrInput<'a>>) -> bool {
        while let Some(next) = parser.next_event() {
            let failed = next.is_err();
            self.filling.push(step(next));
            if failed || self.filling.len() == EVENTS_PER_BUNDLE {
                let bundle = self
                    .spare
                    .try_recv()
                    .unwrap_or_else(|_| Vec::with_capacity(EVENTS_PER_BUNDLE));
                let full = std::mem::replace(&mut self.filling, bundle);
                // Sending fails once the builder has stopped: nothing more is wanted.
                if self.sender.send(full).is_err() || failed {
                    return false;
                }
            }
        }
        true
    }

    /// Queue what is left: the stream is complete.
    fn finish(self) {
        let _ = self.sender.send(self.filling);
    }
}

/// The builder's end of a [`pipe`].
struct Consumer<'a> {
    receiver: mpsc::Receiver<Bundle<'a>>,
    spares: mpsc::Sender<Bundle<'a>>,
}

impl<'a> Consumer<'a> {
    /// Hand every step queued to `build` until the stream ends or `build` fails; dropping
    /// the receiver then stops the parser at its next bundle.
    fn each<E>(self, mut build: impl FnMut(Step<'a>) -> Result<(), E>) -> Result<(), E> {
        self.receiver.iter().try_for_each(|mut bundle| {
            bundle.drain(..).try_for_each(&mut build)?;
            // Refused only when the parser has finished.
            let _ = self.spares.send(bundle);
            Ok(())
        })
    }
}

fn scan_error(error: &ScanError, budget: Budget) -> LoadError {
    let at = At::from(*error.marker());
    match error.kind() {
        // The parser's own nesting guard: the same refusal as ours, whichever comes first.
        ErrorKind::RecursionLimitExceeded => LoadError::TooDeep {
            limit: budget.max_depth,
            at,
        },
        kind => LoadError::Syntax {
            message: kind.to_string(),
            at,
        },
    }
}

/// What a value costs, and how many collection levels it spans (a scalar: 0).
#[derive(Debug, Clone, Copy, Default)]
struct Cost {
    nodes: usize,
    bytes: usize,
    height: usize,
}

impl Cost {
    fn absorb(&mut self, child: Cost) {
        self.nodes += child.nodes;
        self.bytes += child.bytes;
        self.height = self.height.max(child.height + 1);
    }
}

struct Anchored<'a> {
    value: Value<'a>,
    cost: Cost,
}

enum Key<'a> {
    Name(&'a str),
    Merge,
}

enum Frame<'a> {
    Seq {
        list: ListBuilder,
        anchor: usize,
        cost: Cost,
    },
    Map {
        map: ObjectBuilder<'a>,
        /// The key waiting for its value, with where it stands.
        key: Option<(Key<'a>, At)>,
        /// Values of `<<` keys, applied when the mapping ends.
        merges: Vec<(Value<'a>, At)>,
        anchor: usize,
        cost: Cost,
    },
}

impl Frame<'_> {
    fn cost(&mut self) -> &mut Cost {
        match self {
            Frame::Seq { cost, .. } | Frame::Map { cost, .. } => cost,
        }
    }
}

struct Loader<'a> {
    arena: &'a Bump,
    budget: Budget,
    stack: Vec<Frame<'a>>,
    anchors: HashMap<usize, Anchored<'a>>,
    /// Totals produced so far, anchored copies included.
    nodes: usize,
    bytes: usize,
    root: Option<Value<'a>>,
    documents: usize,
    stacks: Stacks<'a>,
}

impl<'a> Loader<'a> {
    fn new(arena: &'a Bump, budget: Budget) -> Self {
        Loader {
            arena,
            budget,
            stack: Vec::new(),
            anchors: HashMap::new(),
            nodes: 0,
            bytes: 0,
            root: None,
            documents: 0,
            stacks: Stacks::default(),
        }
    }

    fn step(&mut self, next: Step<'a>) -> Result<(), LoadError> {
        let (event, at) = next.map_err(|e| scan_error(&e, self.budget))?;
        self.event(event, at)
    }

    fn event(&mut self, event: Event<'a>, at: At) -> Result<(), LoadError> {
        match event {
            Event::DocumentStart(..) => {
                self.documents += 1;
                if self.documents > 1 {
                    return Err(LoadError::MultipleDocuments { at });
                }
            }
            Event::Scalar(text, style, anchor, tag) => {
                if self.wants_key() {
                    if anchor != 0 {
                        let value = scalar(self.arena, text.clone(), style, tag.as_deref(), at)?;
                        self.keep_anchor(anchor, &value, scalar_cost(&value), at)?;
                    }
                    let key = scalar_key(self.arena, text, style, tag.as_deref(), at)?;
                    self.set_key(key, at)?;
                } else {
                    let value = scalar(self.arena, text, style, tag.as_deref(), at)?;
                    let cost = scalar_cost(&value);
                    self.charge(cost, at)?;
                    if anchor != 0 {
                        self.keep_anchor(anchor, &value, cost, at)?;
                    }
                    self.add(value, cost)?;
                }
            }
            Event::Alias(id) => {
                let Some(anchored) = self.anchors.get(&id) else {
                    // Anchors are kept when their node ends: this one is still open.
                    return Err(LoadError::RecursiveAlias { at });
                };
                let cost = anchored.cost;
                if self.wants_key() {
                    let key = match &anchored.value {
                        Value::Object(_) | Value::Array(_) => {
                            return Err(LoadError::ComplexKey { at })
                        }
                        Value::String(s) => *s,
                        other => self.arena.alloc_str(&other.to_string()),
                    };
                    self.set_key(Key::Name(key), at)?;
                } else {
                    if self.stack.len() + cost.height > self.budget.max_depth {
                        return Err(self.too_deep(at));
                    }
                    self.charge(cost, at)?;
                    // Charged before it is repeated: a bomb stops here, not after.
                    let value = self
                        .anchors
                        .get(&id)
                        .map_or(Value::Null, |a| a.value.clone());
                    self.add(value, cost)?;
                }
            }
            Event::SequenceStart(_, anchor, _) => {
                self.open(at)?;
                self.stack.push(Frame::Seq {
                    list: ListBuilder::new(&self.stacks),
                    anchor,
                    cost: Cost {
                        nodes: 1,
                        bytes: 0,
                        height: 1,
                    },
                });
            }
            Event::MappingStart(_, anchor, _) => {
                self.open(at)?;
                self.stack.push(Frame::Map {
                    map: ObjectBuilder::new(&self.stacks),
                    key: None,
                    merges: Vec::new(),
                    anchor,
                    cost: Cost {
                        nodes: 1,
                        bytes: 0,
                        height: 1,
                    },
                });
            }
            Event::SequenceEnd => {
                if let Some(Frame::Seq { list, anchor, cost }) = self.stack.pop() {
                    let items = list.finish(self.arena, &mut self.stacks);
                    self.close(Value::Array(items), anchor, cost, at)?;
                }
            }
            Event::MappingEnd => {
                if let Some(Frame::Map {
                    map,
                    merges,
                    anchor,
                    cost,
                    ..
                }) = self.stack.pop()
                {
                    let mut map = map;
                    for (value, merge_at) in merges {
                        merge_into(&mut map, &mut self.stacks, &value, merge_at)?;
                    }
                    let map = map.finish(self.arena, &mut self.stacks);
                    self.close(Value::Object(map), anchor, cost, at)?;
                }
            }
            // Stream and document ends, and presentation-only events (comments, anchor
            // names) that the default options do not emit.
            _ => {}
        }
        Ok(())
    }

    fn wants_key(&self) -> bool {
        matches!(self.stack.last(), Some(Frame::Map { key: None, .. }))
    }

    fn too_deep(&self, at: At) -> LoadError {
        LoadError::TooDeep {
            limit: self.budget.max_depth,
            at,
        }
    }

    /// A collection starts: it must not be a key, nor nest too deep.
    fn open(&mut self, at: At) -> Result<(), LoadError> {
        if self.wants_key() {
            return Err(LoadError::ComplexKey { at });
        }
        if self.stack.len() >= self.budget.max_depth {
            return Err(self.too_deep(at));
        }
        self.charge(
            Cost {
                nodes: 1,
                ..Cost::default()
            },
            at,
        )
    }

    fn close(
        &mut self,
        value: Value<'a>,
        anchor: usize,
        cost: Cost,
        at: At,
    ) -> Result<(), LoadError> {
        if anchor != 0 {
            self.keep_anchor(anchor, &value, cost, at)?;
        }
        self.add(value, cost)
    }

    fn charge(&mut self, cost: Cost, at: At) -> Result<(), LoadError> {
        self.nodes = self.nodes.saturating_add(cost.nodes);
        self.bytes = self.bytes.saturating_add(cost.bytes);
        if self.nodes > self.budget.max_nodes {
            return Err(LoadError::TooLarge {
                what: "values",
                limit: self.budget.max_nodes,
                at,
            });
        }
        if self.bytes > self.budget.max_bytes {
            return Err(LoadError::TooLarge {
                what: "bytes of text",
                limit: self.budget.max_bytes,
                at,
            });
        }
        Ok(())
    }

    /// Keep an anchored node for its aliases; it is paid for once more, like a copy.
    fn keep_anchor(
        &mut self,
        anchor: usize,
        value: &Value<'a>,
        cost: Cost,
        at: At,
    ) -> Result<(), LoadError> {
        self.charge(cost, at)?;
        self.anchors.insert(
            anchor,
            Anchored {
                value: value.clone(),
                cost,
            },
        );
        Ok(())
    }

    fn set_key(&mut self, key: Key<'a>, at: At) -> Result<(), LoadError> {
        let Some(Frame::Map {
            key: slot, cost, ..
        }) = self.stack.last_mut()
        else {
            return Ok(());
        };
        let key_cost = match &key {
            // A key is text kept in the result, and an entry of its mapping.
            Key::Name(name) => Cost {
                nodes: 1,
                bytes: name.len(),
                height: 0,
            },
            Key::Merge => Cost::default(),
        };
        cost.nodes += key_cost.nodes;
        cost.bytes += key_cost.bytes;
        *slot = Some((key, at));
        self.charge(key_cost, at)
    }

    /// Put a finished value where it belongs: the root, a list, or the waiting key. A key
    /// seen twice is found here.
    fn add(&mut self, value: Value<'a>, child: Cost) -> Result<(), LoadError> {
        let Some(frame) = self.stack.last_mut() else {
            self.root = Some(value);
            return Ok(());
        };
        frame.cost().absorb(child);
        match frame {
            Frame::Seq { list, .. } => list.push(&mut self.stacks, value),
            Frame::Map {
                map, key, merges, ..
            } => match key.take() {
                Some((Key::Name(name), at)) => {
                    if let Err(key) = map.insert(&mut self.stacks, name, value) {
                        return Err(LoadError::DuplicateKey {
                            key: key.to_string(),
                            at,
                        });
                    }
                }
                Some((Key::Merge, at)) => merges.push((value, at)),
                // A value always follows its key in the event stream.
                None => {}
            },
        }
        Ok(())
    }
}

/// Apply one merge-key value: keys already present (written, or from an earlier merge) win.
fn merge_into<'a>(
    map: &mut ObjectBuilder<'a>,
    stacks: &mut Stacks<'a>,
    value: &Value<'a>,
    at: At,
) -> Result<(), LoadError> {
    let mut merge_one = |value: &Value<'a>| match value {
        Value::Object(source) => {
            for (k, v) in source.iter() {
                map.insert_absent(stacks, k, v.clone());
            }
            Ok(())
        }
        _ => Err(LoadError::BadMerge { at }),
    };
    match value {
        Value::Array(items) => items.iter().try_for_each(&mut merge_one),
        other => merge_one(other),
    }
}

fn scalar_cost(value: &Value<'_>) -> Cost {
    Cost {
        nodes: 1,
        bytes: value.as_str().map_or(0, str::len),
        height: 0,
    }
}

/// A mapping key: its text as written (`200`, `1.10`, `true` stay as they are), `null` for
/// an empty or null key, or the merge key.
fn scalar_key<'a>(
    arena: &'a Bump,
    text: Cow<'a, str>,
    style: ScalarStyle,
    tag: Option<&Tag>,
    at: At,
) -> Result<Key<'a>, LoadError> {
    let plain = style == ScalarStyle::Plain;
    if plain && (text == "<<" || tag.is_some_and(is_merge_tag)) {
        return Ok(Key::Merge);
    }
    let Some(tag) = tag else {
        if plain && matches!(&*text, "" | "null" | "Null" | "NULL" | "~") {
            return Ok(Key::Name("null"));
        }
        return Ok(Key::Name(in_arena(arena, text)));
    };
    Ok(Key::Name(
        match scalar(arena, text.clone(), style, Some(tag), at)? {
            Value::Null => "null",
            Value::String(s) => s,
            _ => in_arena(arena, text),
        },
    ))
}

fn is_merge_tag(tag: &Tag) -> bool {
    tag.suffix_in_namespace("tag:yaml.org,2002:")
        .is_some_and(|s| s == "merge")
}

/// A scalar value under the core schema (see the module comment).
/// Text the parser lent from the document as it is, text it had to build (escapes, folded
/// lines) copied into the arena.
fn in_arena<'a>(arena: &'a Bump, text: Cow<'a, str>) -> &'a str {
    match text {
        Cow::Borrowed(text) => text,
        Cow::Owned(text) => arena.alloc_str(&text),
    }
}

fn scalar<'a>(
    arena: &'a Bump,
    text: Cow<'a, str>,
    style: ScalarStyle,
    tag: Option<&Tag>,
    at: At,
) -> Result<Value<'a>, LoadError> {
    let string = |text: Cow<'a, str>| Value::String(in_arena(arena, text));
    if let Some(tag) = tag {
        let forced = match tag.core_suffix() {
            Some("str") => return Ok(string(text)),
            Some("null") => ("null", typed(&text).filter(Value::is_null)),
            Some("bool") => ("bool", typed(&text).filter(Value::is_boolean)),
            Some("int") => ("int", typed(&text).filter(|v| v.is_i64() || v.is_u64())),
            Some("float") => (
                "float",
                typed(&text).filter(|v| v.is_number() || is_non_finite(v)),
            ),
            // `!` alone: a string, whatever it looks like.
            None if tag.parts() == ("", "!") => return Ok(string(text)),
            _ => ("", None),
        };
        match forced {
            (_, Some(value)) => return Ok(value),
            ("", None) => {}
            (tag, None) => {
                return Err(LoadError::BadTagged {
                    tag,
                    text: text.into_owned(),
                    at,
                })
            }
        }
    }
    if style != ScalarStyle::Plain {
        return Ok(string(text));
    }
    Ok(typed(&text).unwrap_or_else(|| string(text)))
}

fn is_non_finite(value: &Value<'_>) -> bool {
    matches!(value.as_str(), Some(".inf" | "-.inf" | ".nan"))
}

/// The core-schema null, boolean or number that a plain scalar spells, if any.
/// Strings it makes are the fixed spellings of non-finite floats, with no arena needed.
fn typed(text: &str) -> Option<Value<'static>> {
    let Some(&first) = text.as_bytes().first() else {
        return Some(Value::Null);
    };
    match first {
        b'n' | b'N' | b'~' => match text {
            "null" | "Null" | "NULL" | "~" => Some(Value::Null),
            _ => None,
        },
        b't' | b'T' => matches!(text, "true" | "True" | "TRUE").then_some(Value::Bool(true)),
        b'f' | b'F' => matches!(text, "false" | "False" | "FALSE").then_some(Value::Bool(false)),
        b'0'..=b'9' | b'-' | b'+' | b'.' => number(text),
        _ => None,
    }
}

fn number(text: &str) -> Option<Value<'static>> {
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    let negative = text.starts_with('-');
    if let Some(hex) = text.strip_prefix("0x") {
        return radix(hex, 16);
    }
    if let Some(oct) = text.strip_prefix("0o") {
        return radix(oct, 8);
    }
    match unsigned {
        ".inf" | ".Inf" | ".INF" => {
            return Some(Value::String(if negative { "-.inf" } else { ".inf" }))
        }
        ".nan" | ".NaN" | ".NAN" if unsigned.len() == text.len() => {
            return Some(Value::String(".nan"))
        }
        _ => {}
    }
    let bytes = unsigned.as_bytes();
    if !bytes.is_empty() && bytes.iter().all(u8::is_ascii_digit) {
        if let Ok(i) = text.parse::<i64>() {
            return Some(Value::Number(i.into()));
        }
        if let Ok(u) = text.parse::<u64>() {
            return Some(Value::Number(u.into()));
        }
        // Beyond 64 bits: as a float, like the JSON path.
        return float(text);
    }
    is_float_syntax(bytes).then(|| float(text)).flatten()
}

fn radix(digits: &str, base: u32) -> Option<Value<'static>> {
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(base)) {
        return None;
    }
    u64::from_str_radix(digits, base)
        .ok()
        .map(|n| Value::Number(n.into()))
}

fn float(text: &str) -> Option<Value<'static>> {
    let f: f64 = text.parse().ok()?;
    Some(Number::from_f64(f).map_or_else(
        || Value::String(if f > 0.0 { ".inf" } else { "-.inf" }),
        Value::Number,
    ))
}

/// `(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, the sign already removed.
fn is_float_syntax(bytes: &[u8]) -> bool {
    let digits = |b: &[u8]| b.iter().take_while(|c| c.is_ascii_digit()).count();
    let int = digits(bytes);
    let mut rest = &bytes[int..];
    let mut frac = 0;
    if let Some(after) = rest.strip_prefix(b".") {
        frac = digits(after);
        rest = &after[frac..];
    }
    if int == 0 && frac == 0 {
        return false;
    }
    if let Some(after) = rest.strip_prefix(b"e").or_else(|| rest.strip_prefix(b"E")) {
        let after = after
            .strip_prefix(b"-")
            .or_else(|| after.strip_prefix(b"+"))
            .unwrap_or(after);
        let exp = digits(after);
        return exp > 0 && exp == after.len();
    }
    rest.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docgen::{generate, Format, Spec, Version};

    pub(super) const ROOMY: Budget = Budget {
        max_depth: 128,
        max_nodes: 10_000_000,
        max_bytes: 100_000_000,
    };

    /// Loaded every way; the outcomes must be the same, trees and errors alike.
    pub(super) fn both_ways(text: &str, budget: Budget) -> Result<serde_json::Value, LoadError> {
        let (here, beside, threads) = (Bump::new(), Bump::new(), Bump::new());
        let mut side = Bump::new();
        let one = load(&here, text, budget, Parsing::OneThread);
        let mut loader = Loader::new(&beside, budget);
        let pipelined =
            load_pipelined(&mut loader, text).map(|()| loader.root.unwrap_or(Value::Null));
        let threaded = load(&threads, text, budget, Parsing::Threads(&mut side));
        for (way, outcome) in [("pipelined", &pipelined), ("threads", &threaded)] {
            assert_eq!(
                &one,
                outcome,
                "one thread and {way} differ on {:?}…",
                cut(text, 60)
            );
        }
        one.map(|v| v.to_json())
    }

    #[test]
    fn pipelined_parsing_loads_as_one_thread_does() {
        // 300 operations: about 34,000 events, 17 bundles.
        let document = generate(&Spec::new(Version::OpenApi30, Format::Yaml, 300));
        let tree = both_ways(&document, ROOMY).expect("the generated document loads");
        assert_eq!(tree["paths"].as_object().map(|p| p.len() > 100), Some(true));

        // A syntax error at the end, after every bundle.
        let broken = format!("{document}\nx-tail: [unclosed\n");
        assert!(matches!(
            both_ways(&broken, ROOMY),
            Err(LoadError::Syntax { .. })
        ));

        // The builder's error in the first bundle: the parser, far ahead, is stopped.
        let twice = format!("x-first: 1\nx-first: 2\n{document}");
        let e = both_ways(&twice, ROOMY).unwrap_err();
        assert!(
            matches!(
                e,
                LoadError::DuplicateKey {
                    at: At { line: 2, .. },
                    ..
                }
            ),
            "{e:?}"
        );

        // A budget that runs out halfway.
        let small = Budget {
            max_nodes: 20_000,
            ..ROOMY
        };
        assert!(matches!(
            both_ways(&document, small),
            Err(LoadError::TooLarge { .. })
        ));
    }

    #[test]
    fn pipelined_parsing_agrees_on_odd_streams() {
        let deep = format!("a: {}{}\n", "[".repeat(200), "]".repeat(200));
        for text in [
            "",
            "# only a comment\n",
            "a: &x {k: 1}\nb: *x\nc:\n  <<: *x\n  j: 2\n",
            "a: 1\n---\nb: 2\n",
            "a: !!int 12\nb: !!str 12\nc: !!int abc\n",
            "a: *nowhere\n",
            "a: \"\\q\"\n",
            "? [1, 2]\n: complex\n",
            &deep,
        ] {
            let _ = both_ways(text, ROOMY);
        }
    }
}
