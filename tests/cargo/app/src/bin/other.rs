//! A second binary, so `cargo faultprof` without --bin has to ask which.
fn main() {
    println!("other: {}", records::checksum(&records::build_records(3, 16)));
}
