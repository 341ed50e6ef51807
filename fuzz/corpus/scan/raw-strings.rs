fn f() { let a = r#"{ ( [ "#; let b = b"\x00"; let c = '{'; format!(r"{}", a); }
