// A multi-threaded Rust std program for the compatibility matrix
// (tests/integration/compat_rust.sh): 4 threads, each allocating strings,
// vectors and maps; every thread of Rust's std asks for its stack bounds
// first thing (std's stack-overflow handler), which is what hung the shim's
// thread registration.  Prints the same lines every run.
use std::collections::{BTreeMap, HashMap};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;

#[inline(never)]
fn compat_work(id: u64, rounds: u64) -> (u64, usize) {
    let mut sum: u64 = 0;
    let mut kept = 0usize;
    for r in 0..rounds {
        let mut words: Vec<String> = Vec::new();
        for i in 0..200u64 {
            words.push(format!("w{}-{}-{}", id, r, (i * 2654435761) % 1000));
        }
        let mut counts: HashMap<String, u64> = HashMap::new();
        for w in &words {
            *counts.entry(w.clone()).or_insert(0) += 1;
        }
        let sorted: BTreeMap<&String, &u64> = counts.iter().collect();
        for (k, v) in sorted.iter().take(3) {
            sum = sum.wrapping_mul(31).wrapping_add(k.len() as u64 + **v + id * r);
        }
        let boxed: Vec<Box<[u8]>> = (0..16).map(|n| vec![n as u8; 64 + n * 16].into_boxed_slice()).collect();
        kept += boxed.iter().map(|b| b.len()).sum::<usize>();
    }
    (sum, kept)
}

fn main() {
    let results = Arc::new(Mutex::new(Vec::new()));
    let (tx, rx) = mpsc::channel();
    let mut handles = Vec::new();
    for id in 0..4u64 {
        let results = Arc::clone(&results);
        let tx = tx.clone();
        handles.push(
            thread::Builder::new()
                .name(format!("compat-{}", id))
                .spawn(move || {
                    let r = compat_work(id, 1000);
                    results.lock().unwrap().push((id, r));
                    tx.send(id).unwrap();
                })
                .unwrap(),
        );
    }
    drop(tx);
    let done: Vec<u64> = rx.iter().collect();
    for h in handles {
        h.join().unwrap();
    }
    let mut results = results.lock().unwrap().clone();
    results.sort();
    println!("threads done: {}", done.len());
    for (id, (sum, kept)) in results {
        println!("thread {}: sum {:016x} kept {}", id, sum, kept);
    }
}
