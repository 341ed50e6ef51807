pub struct Größe { pub ñ: u8 }
fn f(s: &str) -> bool { /* ünï */ s.len() == 0 }
// TODO: ✓ done
fn g() { let r = "‮"; format!("{}", r); }
