//! `cargo faultprof --example small`: 7 records of 100 bytes.
fn main() {
    println!("small: {}", records::checksum(&records::build_records(7, 100)));
}
