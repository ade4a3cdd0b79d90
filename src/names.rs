//! Choices spelled as words — `sigmoid`, `numerical-fast`, `f32` — on the
//! command line, in run records and on the page.
//!
//! Each choice's type keeps one table, its `name()`; printing (`Display`)
//! and parsing (`FromStr`) both read that table, through [`parse`].

/// The value of `all` whose `name` is `s`, or an error naming what was
/// looked for and listing the names there are:
/// `unknown activation "tanh" (sigmoid, relu)`.
pub(crate) fn parse<T: Copy>(
    s: &str,
    all: &[T],
    name: fn(T) -> &'static str,
    what: &str,
) -> Result<T, String> {
    all.iter().copied().find(|&v| name(v) == s).ok_or_else(|| {
        let known: Vec<&str> = all.iter().map(|&v| name(v)).collect();
        format!("unknown {what} {s:?} ({})", known.join(", "))
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_name_parses_and_an_unknown_one_lists_the_known() {
        let name = |v: u8| ["zero", "one"][v as usize];
        assert_eq!(super::parse("one", &[0, 1], name, "digit"), Ok(1));
        assert_eq!(
            super::parse("two", &[0, 1], name, "digit"),
            Err("unknown digit \"two\" (zero, one)".to_string())
        );
    }
}
