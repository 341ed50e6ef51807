#!/usr/bin/env run
fn main() { let v: Vec<u8> = vec![]; if v.len() == 0 { println!("{}", 1); } }
