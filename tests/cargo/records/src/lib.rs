//! The path dependency of tests/cargo/app: builds records, each in a fresh
//! buffer, so their allocations are charged to `records::build_records`.

/// One buffer per record, `size` bytes each, filled with the record's index.
#[inline(never)]
pub fn build_records(count: usize, size: usize) -> Vec<Vec<u8>> {
    (0..count).map(|i| vec![(i % 251) as u8; size]).collect()
}

/// The sum of every byte, so the work can't be optimized away.
pub fn checksum(records: &[Vec<u8>]) -> u64 {
    records.iter().flatten().map(|&b| u64::from(b)).sum()
}
