//! Decode, map, and decode + map of generated OpenAPI 3.0 documents (`apig_import::docgen`)
//! at 30 / 300 / 5,000 operations, JSON and YAML, and of the two largest real-world
//! documents (Kubernetes, Stripe). Decoding also reports its throughput.
//!
//! `cargo bench --bench decode`; `scripts/bench` turns the medians into issue 13's table.

use apig_import::config::Limits;
use apig_import::docgen::{self, Format, Spec, Version};
use apig_import::spec::{decode_document, map_document, parse_document, Arena, MapOptions};
use divan::counter::BytesCount;
use divan::{black_box, Bencher};

fn main() {
    divan::main();
}

const SIZES: &[usize] = &[30, 300, 5000];

/// The default limits, raised for the largest document measured (5,000 operations are
/// 6.2 MB of YAML, 9.3 MB of pretty JSON, fewer than 2.5 million values by the complexity
/// estimate of YAML).
fn limits() -> Limits {
    Limits {
        max_operations: 10_000,
        max_document_bytes: 16 * 1024 * 1024,
        max_document_nodes: 10_000_000,
        ..Limits::default()
    }
}

/// A benchmark must measure the whole work, never an early refusal: checked once before
/// timing (a refused 5,000-operation YAML document once showed as 16 ms).
fn must_parse(text: &[u8], limits: &Limits) {
    if let Err(e) = parse_document(text, MapOptions::default(), limits) {
        panic!(
            "the benchmarked document is refused: {} {}",
            e.code.as_str(),
            e.message
        );
    }
}

fn text(format: Format, operations: usize) -> String {
    docgen::generate(&Spec::new(Version::OpenApi30, format, operations))
}

fn bench_decode(bencher: Bencher, format: Format, operations: usize) {
    let text = text(format, operations);
    let limits = limits();
    bencher.counter(BytesCount::of_str(&text)).bench(|| {
        // The arena is dropped in the timing: freeing the tree is part of the work.
        let mut arena = Arena::default();
        decode_document(&mut arena, black_box(text.as_bytes()), &limits).map(|v| v.is_object())
    });
}

fn bench_map(bencher: Bencher, format: Format, operations: usize) {
    let limits = limits();
    let text = text(format, operations);
    let mut arena = Arena::default();
    let root = match decode_document(&mut arena, text.as_bytes(), &limits) {
        Ok(root) => root,
        Err(e) => panic!("the generated document does not decode: {e}"),
    };
    // The mapping only reads the tree (freeing it is the decoding's row).
    bencher.bench(|| {
        map_document(black_box(&root), MapOptions::default(), &limits).map(|d| d.operations.len())
    });
}

fn bench_decode_map(bencher: Bencher, format: Format, operations: usize) {
    bench_decode_map_with(bencher, format, operations, limits());
}

fn bench_decode_map_with(bencher: Bencher, format: Format, operations: usize, limits: Limits) {
    let text = text(format, operations);
    must_parse(text.as_bytes(), &limits);
    bencher.counter(BytesCount::of_str(&text)).bench(|| {
        parse_document(black_box(text.as_bytes()), MapOptions::default(), &limits)
            .map(|d| d.operations.len())
    });
}

mod decode {
    use super::*;

    #[divan::bench(args = SIZES, sample_count = 20)]
    fn json(bencher: Bencher, operations: usize) {
        bench_decode(bencher, Format::Json, operations);
    }

    #[divan::bench(args = SIZES, sample_count = 20)]
    fn yaml(bencher: Bencher, operations: usize) {
        bench_decode(bencher, Format::Yaml, operations);
    }
}

mod map {
    use super::*;

    #[divan::bench(args = SIZES, sample_count = 20)]
    fn json(bencher: Bencher, operations: usize) {
        bench_map(bencher, Format::Json, operations);
    }

    #[divan::bench(args = SIZES, sample_count = 20)]
    fn yaml(bencher: Bencher, operations: usize) {
        bench_map(bencher, Format::Yaml, operations);
    }
}

mod decode_map {
    use super::*;

    #[divan::bench(args = SIZES, sample_count = 20)]
    fn json(bencher: Bencher, operations: usize) {
        bench_decode_map(bencher, Format::Json, operations);
    }

    #[divan::bench(args = SIZES, sample_count = 20)]
    fn yaml(bencher: Bencher, operations: usize) {
        bench_decode_map(bencher, Format::Yaml, operations);
    }
}

/// Decode + map on the calling thread only (`APIG_MAP_THREADS=1`: operations mapped and YAML
/// parsed there; the rows above use the default, one thread per CPU up to 4): what a
/// function with less than one CPU gets.
mod decode_map_one_thread {
    use super::*;

    fn one_thread() -> Limits {
        Limits {
            map_threads: 1,
            ..limits()
        }
    }

    #[divan::bench(args = SIZES, sample_count = 20)]
    fn json(bencher: Bencher, operations: usize) {
        bench_decode_map_with(bencher, Format::Json, operations, one_thread());
    }

    #[divan::bench(args = SIZES, sample_count = 20)]
    fn yaml(bencher: Bencher, operations: usize) {
        bench_decode_map_with(bencher, Format::Yaml, operations, one_thread());
    }
}

/// The two largest real-world documents of `../shared/fixtures/realworld` (Kubernetes and
/// Stripe), decoded and mapped whole (limits raised: both exceed the 300-operation quota).
mod realworld {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/fixtures/realworld")
            .join(name);
        std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    fn bench_fixture(bencher: Bencher, name: &str) {
        let bytes = fixture(name);
        let limits = limits();
        must_parse(&bytes, &limits);
        bencher.counter(BytesCount::new(bytes.len())).bench(|| {
            parse_document(black_box(&bytes), MapOptions::default(), &limits)
                .map(|d| d.operations.len())
        });
    }

    #[divan::bench(sample_count = 10)]
    fn kubernetes(bencher: Bencher) {
        bench_fixture(bencher, "k8s_swagger.json");
    }

    #[divan::bench(sample_count = 10)]
    fn stripe(bencher: Bencher) {
        bench_fixture(bencher, "stripe_spec2.json");
    }
}
