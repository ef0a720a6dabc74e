//! `cargo faultprof --test records`: the test harness, traced.
#[test]
fn eleven_records() {
    assert_eq!(records::build_records(11, 8).len(), 11);
}
