pub struct A {
    x: u8,
}
fn f(v: &[u8]) -> bool {
    v.len() == 0
}
