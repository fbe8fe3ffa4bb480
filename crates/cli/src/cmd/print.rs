//! What the terminal commands print for people: instants and plain tables.

/// An instant for people: RFC 3339, or the milliseconds when out of range.
pub fn instant(ms: i64) -> String {
    kapsel_core::calendar::rfc3339(ms)
}

/// Left-aligned columns, two spaces apart, the header first.
pub fn table<const N: usize>(header: [&str; N], rows: &[[String; N]]) -> String {
    let mut widths = header.map(|h| h.chars().count());
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let header = header.map(String::from);
    for row in std::iter::once(&header).chain(rows) {
        let cells: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_line_up_and_lines_end_without_spaces() {
        let rows = [
            ["a".to_owned(), "long cell".to_owned()],
            ["ccc".to_owned(), String::new()],
        ];
        assert_eq!(table(["x", "y"], &rows), "x    y\na    long cell\nccc\n");
        assert_eq!(instant(0), "1970-01-01T00:00:00Z");
    }
}
