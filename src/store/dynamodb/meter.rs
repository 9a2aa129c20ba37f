//! Read capacity, per store: what the server reports (`ReturnConsumedCapacity`) and what
//! DynamoDB's documented rules charge for the items read (a strongly consistent read is one
//! unit per 4 KB: a `GetItem` rounds its item up, a `Query` the sum of the items it read),
//! so that the cost of a read is known on a test server that reports a constant (moto
//! reports 1 unit per request whatever it reads).

use super::codec::Item;
use aws_sdk_dynamodb::types::{AttributeValue, ConsumedCapacity};
use std::sync::atomic::{AtomicU64, Ordering};

/// Bytes per read unit of a strongly consistent read.
const READ_UNIT_BYTES: u64 = 4096;

/// Read requests and their capacity since the last [`reset`](ReadMeter::reset).
#[derive(Debug, Default)]
pub struct ReadMeter {
    requests: AtomicU64,
    items: AtomicU64,
    estimated: AtomicU64,
    reported_milli: AtomicU64,
}

/// A snapshot of a [`ReadMeter`].
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ReadUnits {
    /// Read requests sent (`GetItem`, `Query` pages).
    pub requests: u64,
    /// Items (or index entries) read.
    pub items: u64,
    /// Read units by DynamoDB's rules for the items read.
    pub estimated: u64,
    /// Read units the server reported.
    pub reported: f64,
}

impl ReadMeter {
    /// Count one read request that read `items`: `per_item` rounds each item up (GetItem),
    /// otherwise their sum is rounded (Query).
    pub(crate) fn record(
        &self,
        items: &[Item],
        per_item: bool,
        reported: Option<&ConsumedCapacity>,
    ) {
        let units = if per_item {
            items.iter().map(|i| units(item_size(i))).sum::<u64>()
        } else {
            units(items.iter().map(item_size).sum())
        };
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.items.fetch_add(
            u64::try_from(items.len()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
        // A request that reads nothing is still charged one unit.
        self.estimated.fetch_add(units.max(1), Ordering::Relaxed);
        if let Some(units) = reported.and_then(ConsumedCapacity::capacity_units) {
            // Units come in halves; milli-units keep them exact in an integer.
            let milli = (units * 1000.0).round();
            if milli.is_finite() && milli >= 0.0 {
                self.reported_milli
                    .fetch_add(milli as u64, Ordering::Relaxed);
            }
        }
    }

    pub fn snapshot(&self) -> ReadUnits {
        ReadUnits {
            requests: self.requests.load(Ordering::Relaxed),
            items: self.items.load(Ordering::Relaxed),
            estimated: self.estimated.load(Ordering::Relaxed),
            reported: self.reported_milli.load(Ordering::Relaxed) as f64 / 1000.0,
        }
    }

    pub fn reset(&self) {
        self.requests.store(0, Ordering::Relaxed);
        self.items.store(0, Ordering::Relaxed);
        self.estimated.store(0, Ordering::Relaxed);
        self.reported_milli.store(0, Ordering::Relaxed);
    }
}

fn units(bytes: u64) -> u64 {
    bytes.div_ceil(READ_UNIT_BYTES)
}

/// An item's size as DynamoDB counts it: attribute names plus values (strings and binaries
/// by length, numbers about one byte per two digits plus one, maps and lists 3 bytes plus
/// their elements and one byte per element).
pub fn item_size(item: &Item) -> u64 {
    item.iter()
        .map(|(name, value)| len(name.len()) + value_size(value))
        .sum()
}

fn len(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

fn value_size(value: &AttributeValue) -> u64 {
    match value {
        AttributeValue::S(s) => len(s.len()),
        AttributeValue::N(n) => len(n.len()).div_ceil(2) + 1,
        AttributeValue::B(b) => len(b.as_ref().len()),
        AttributeValue::M(m) => {
            3 + m
                .iter()
                .map(|(k, v)| len(k.len()) + value_size(v) + 1)
                .sum::<u64>()
        }
        AttributeValue::L(l) => 3 + l.iter().map(|v| value_size(v) + 1).sum::<u64>(),
        AttributeValue::Ss(v) => v.iter().map(|s| len(s.len())).sum(),
        AttributeValue::Ns(v) => v.iter().map(|n| len(n.len()).div_ceil(2) + 1).sum(),
        AttributeValue::Bs(v) => v.iter().map(|b| len(b.as_ref().len())).sum(),
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_units() {
        let item: Item = [
            ("pk".to_string(), AttributeValue::S("abcd".into())),
            ("n".to_string(), AttributeValue::N("1234".into())),
        ]
        .into();
        assert_eq!(item_size(&item), 2 + 4 + 1 + 3);
        let big: Item = [("b".to_string(), AttributeValue::S("x".repeat(5000)))].into();
        let meter = ReadMeter::default();
        meter.record(&[item.clone(), item.clone()], true, None);
        assert_eq!(meter.snapshot().estimated, 2);
        meter.reset();
        meter.record(&[item, big], false, None);
        assert_eq!(meter.snapshot().estimated, 2);
        meter.reset();
        meter.record(&[], false, None);
        assert_eq!(meter.snapshot().estimated, 1);
    }
}
