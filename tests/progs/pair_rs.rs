// One of a pair of implementations of the same job (pair_cxx.cpp is the
// other): 4 threads each fill a 2 MiB record buffer 32 times and sum it;
// the output is the total.  This one makes a new Vec for every batch,
// grown push by push, and drops it after the sum: each batch's buffer is
// regrown by realloc and its pages fault in again.
use std::thread;

const THREADS: u64 = 4;
const BATCHES: u64 = 32;
const RECORD_BYTES: u64 = 2 << 20;

#[inline(never)]
fn fill_batch(thread: u64, batch: u64) -> Vec<u8> {
    let mut buf = Vec::new();
    for i in 0..RECORD_BYTES {
        buf.push((i.wrapping_mul(31) + batch * 7 + thread) as u8);
    }
    buf
}

fn worker(thread: u64) -> u64 {
    let mut s: u64 = 0;
    for b in 0..BATCHES {
        let buf = std::hint::black_box(fill_batch(thread, b));
        for x in buf.iter() {
            s += *x as u64;
        }
    }
    s
}

fn main() {
    let handles: Vec<_> = (0..THREADS).map(|t| thread::spawn(move || worker(t))).collect();
    let total: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    println!("checksum {}", total);
}
