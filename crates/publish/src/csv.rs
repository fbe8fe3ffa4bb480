//! Writing CSV (RFC 4180): the one quoting rule for every CSV Kapsel exports, the record of
//! processing here and the ledger export in the CLI. Line endings are the caller's: the record
//! of processing ends rows with CRLF as RFC 4180 says, the ledger export with `\n` as it always has.
//! Reading CSV (the Open Cookie Database) lives with its reader in `kapsel_core::catalogue`.

use std::borrow::Cow;

/// One field, quoted when it holds a comma, quote or line break; quotes inside are doubled.
pub fn field(value: &str) -> Cow<'_, str> {
    if value.contains([',', '"', '\n', '\r']) {
        Cow::Owned(format!("\"{}\"", value.replace('"', "\"\"")))
    } else {
        Cow::Borrowed(value)
    }
}

/// The fields of one row, each quoted as [`field`] does, joined by commas, without a line ending.
pub fn row<I, S>(fields: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut line = String::new();
    for (i, value) in fields.into_iter().enumerate() {
        if i > 0 {
            line.push(',');
        }
        line.push_str(&field(value.as_ref()));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_what_needs_quoting() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a, b"), "\"a, b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
    }

    #[test]
    fn csv_fields_are_quoted_only_when_needed() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(
            field("{\"a\":true,\"b\":false}"),
            "\"{\"\"a\"\":true,\"\"b\"\":false}\""
        );
    }

    #[test]
    fn a_row_joins_quoted_fields_with_commas() {
        assert_eq!(row(["a", "b, c", ""]), "a,\"b, c\",");
        assert_eq!(row(Vec::<String>::new()), "");
    }
}
