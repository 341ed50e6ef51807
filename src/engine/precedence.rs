//! When an expression needs parentheses to keep its meaning as an operand
//! (a receiver, a `?`'s or an operator's operand): shared by the skills and
//! the project rules that put one expression inside another.

use syn::Expr;

/// Whether `expr` needs parentheses as an operand. Paths, calls,
/// literals and other postfix-or-tighter expressions do not; a struct
/// literal, a block or a brace macro would misparse at the start of a
/// statement, so they do.
pub fn needs_parens(expr: &Expr) -> bool {
    match expr {
        Expr::Path(_)
        | Expr::Call(_)
        | Expr::MethodCall(_)
        | Expr::Field(_)
        | Expr::Index(_)
        | Expr::Paren(_)
        | Expr::Tuple(_)
        | Expr::Array(_)
        | Expr::Lit(_)
        | Expr::Try(_)
        | Expr::Await(_)
        | Expr::Repeat(_) => false,
        Expr::Macro(m) => matches!(m.mac.delimiter, syn::MacroDelimiter::Brace(_)),
        _ => true,
    }
}
