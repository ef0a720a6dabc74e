//! tests/cargo/app: `app [COUNT]` builds COUNT records (default 100) of 4 KiB
//! through the path dependency `records` and prints their checksum.
fn main() {
    let count = std::env::args().nth(1).map_or(100, |a| a.parse().expect("COUNT"));
    let records = records::build_records(count, 4096);
    println!("app: {} records, checksum {}", records.len(), records::checksum(&records));
}
