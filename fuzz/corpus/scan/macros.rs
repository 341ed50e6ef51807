macro_rules! m { ($($t:tt)*) => { $($t)* } }
m! { fn f(v: Vec<u8>) -> bool { v.len() == 0 } }
fn g() -> Result<u8, ()> { let x = match Ok::<u8, ()>(1) { Ok(v) => v, Err(e) => return Err(e) }; Ok(x) }
