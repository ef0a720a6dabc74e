// rep_rust: std-only Rust allocations in named functions, for the analyzer's
// demangling test (legacy and v0 symbol mangling).
use std::collections::HashMap;
use std::hint::black_box;

#[inline(never)]
fn build_table(n: usize) -> HashMap<u64, String> {
    let mut m = HashMap::new();
    for i in 0..n as u64 {
        m.insert(i, format!("value-{}", i));
    }
    m
}

#[inline(never)]
fn grow_vec(n: usize) -> Vec<u64> {
    let mut v = Vec::new();
    for i in 0..n as u64 {
        v.push(i * 3);
    }
    v
}

fn main() {
    let t = black_box(build_table(1000));
    let v = black_box(grow_vec(100000));
    println!("{} {}", t.len(), v.len());
}
