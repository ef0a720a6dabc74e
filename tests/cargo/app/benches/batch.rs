//! `cargo faultprof --bench batch`: a harness-less bench, run as cargo bench
//! runs it (with --bench).
fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    println!("batch: {} (--bench {})", records::checksum(&records::build_records(13, 64)), bench);
}
