// The program rustc compiles (with -O) in the compatibility matrix's rustc
// row (tests/integration/compat_rust.sh): about 200 lines of traits,
// generics, closures and collections, so that the compiler does real work
// (type checking, monomorphization, LLVM optimization) for a few seconds.
// The compiled program's output is what the row compares.
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::fmt;

trait Shape {
    fn area(&self) -> f64;
    fn name(&self) -> String;
    fn scale(&self, k: f64) -> Box<dyn Shape>;
}

#[derive(Clone, Debug, PartialEq)]
struct Circle {
    r: f64,
}

#[derive(Clone, Debug, PartialEq)]
struct Rect {
    w: f64,
    h: f64,
}

impl Shape for Circle {
    fn area(&self) -> f64 {
        3.141592653589793 * self.r * self.r
    }
    fn name(&self) -> String {
        format!("circle({:.1})", self.r)
    }
    fn scale(&self, k: f64) -> Box<dyn Shape> {
        Box::new(Circle { r: self.r * k })
    }
}

impl Shape for Rect {
    fn area(&self) -> f64 {
        self.w * self.h
    }
    fn name(&self) -> String {
        format!("rect({:.1}x{:.1})", self.w, self.h)
    }
    fn scale(&self, k: f64) -> Box<dyn Shape> {
        Box::new(Rect { w: self.w * k, h: self.h * k })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Token {
    Num(i64),
    Op(char),
    LParen,
    RParen,
}

fn tokenize(s: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_digit() {
            let mut n = 0i64;
            while i < chars.len() && chars[i].is_ascii_digit() {
                n = n * 10 + chars[i].to_digit(10).unwrap() as i64;
                i += 1;
            }
            out.push(Token::Num(n));
            continue;
        }
        match c {
            '+' | '-' | '*' | '/' => out.push(Token::Op(c)),
            '(' => out.push(Token::LParen),
            ')' => out.push(Token::RParen),
            _ => {}
        }
        i += 1;
    }
    out
}

fn prec(op: char) -> u8 {
    match op {
        '+' | '-' => 1,
        _ => 2,
    }
}

fn to_rpn(tokens: &[Token]) -> Vec<Token> {
    let mut out = Vec::new();
    let mut stack: Vec<Token> = Vec::new();
    for t in tokens {
        match t {
            Token::Num(_) => out.push(t.clone()),
            Token::Op(o) => {
                while let Some(Token::Op(top)) = stack.last() {
                    if prec(*top) >= prec(*o) {
                        out.push(stack.pop().unwrap());
                    } else {
                        break;
                    }
                }
                stack.push(t.clone());
            }
            Token::LParen => stack.push(t.clone()),
            Token::RParen => {
                while let Some(top) = stack.pop() {
                    if top == Token::LParen {
                        break;
                    }
                    out.push(top);
                }
            }
        }
    }
    while let Some(t) = stack.pop() {
        out.push(t);
    }
    out
}

fn eval(rpn: &[Token]) -> Option<i64> {
    let mut st: Vec<i64> = Vec::new();
    for t in rpn {
        match t {
            Token::Num(n) => st.push(*n),
            Token::Op(o) => {
                let b = st.pop()?;
                let a = st.pop()?;
                st.push(match o {
                    '+' => a.checked_add(b)?,
                    '-' => a.checked_sub(b)?,
                    '*' => a.checked_mul(b)?,
                    _ => a.checked_div(b)?,
                });
            }
            _ => return None,
        }
    }
    st.pop()
}

struct Graph<T: Ord + Clone> {
    edges: BTreeMap<T, BTreeSet<T>>,
}

impl<T: Ord + Clone + fmt::Debug> Graph<T> {
    fn new() -> Self {
        Graph { edges: BTreeMap::new() }
    }
    fn add(&mut self, a: T, b: T) {
        self.edges.entry(a.clone()).or_default().insert(b.clone());
        self.edges.entry(b).or_default().insert(a);
    }
    fn bfs(&self, start: &T) -> Vec<T> {
        let mut seen = BTreeSet::new();
        let mut q = VecDeque::new();
        let mut order = Vec::new();
        q.push_back(start.clone());
        seen.insert(start.clone());
        while let Some(n) = q.pop_front() {
            order.push(n.clone());
            if let Some(next) = self.edges.get(&n) {
                for m in next {
                    if seen.insert(m.clone()) {
                        q.push_back(m.clone());
                    }
                }
            }
        }
        order
    }
}

fn word_freq<'a, I: Iterator<Item = &'a str>>(words: I) -> Vec<(String, usize)> {
    let mut m: HashMap<String, usize> = HashMap::new();
    for w in words {
        *m.entry(w.to_lowercase()).or_insert(0) += 1;
    }
    let mut v: Vec<_> = m.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v
}

fn main() {
    let shapes: Vec<Box<dyn Shape>> = vec![
        Box::new(Circle { r: 1.0 }),
        Box::new(Rect { w: 2.0, h: 3.0 }),
        Box::new(Circle { r: 2.5 }),
    ];
    let scaled: Vec<Box<dyn Shape>> = shapes.iter().map(|s| s.scale(2.0)).collect();
    for (a, b) in shapes.iter().zip(scaled.iter()) {
        println!("{} {:.3} -> {} {:.3}", a.name(), a.area(), b.name(), b.area());
    }
    for e in ["1+2*3", "(1+2)*3", "100/(4-2)*7", "2*(3+4)*(5-1)"] {
        let rpn = to_rpn(&tokenize(e));
        println!("{} = {:?} ({} tokens)", e, eval(&rpn), rpn.len());
    }
    let mut g = Graph::new();
    for i in 0..40u32 {
        g.add(i, (i * 7 + 3) % 40);
        g.add(i, (i * 11 + 5) % 40);
    }
    let order = g.bfs(&0);
    println!("bfs: {} nodes, first {:?}", order.len(), &order[..8]);
    let text = "the quick brown fox jumps over the lazy dog The Dog barks the fox runs";
    for (w, n) in word_freq(text.split_whitespace()).iter().take(4) {
        println!("{}: {}", w, n);
    }
    let total: u64 = (1..=2000u64).filter(|n| n % 3 == 0 || n % 5 == 0).map(|n| n * n).sum();
    println!("sum of squares: {}", total);
}
