//! A small HTML writer for the bundle's summary: tags are literals of this crate, and every
//! value — privacy-file texts, row values, names — goes through [`Html::text`] or an attribute,
//! both escaped, so nothing from the file or the operator's database is ever markup.

/// Escapes `&`, `<`, `>`, `"` and `'`: safe in text and in quoted attribute values.
pub fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// An HTML document being written, one line per block element.
#[derive(Debug, Default)]
pub struct Html {
    out: String,
}

impl Html {
    pub fn new() -> Html {
        Html::default()
    }

    /// Opens `tag` with escaped attribute values: `open("th", &[("scope", "col")])`.
    pub fn open(&mut self, tag: &'static str, attrs: &[(&'static str, &str)]) -> &mut Html {
        self.out.push('<');
        self.out.push_str(tag);
        for (name, value) in attrs {
            self.out.push(' ');
            self.out.push_str(name);
            self.out.push_str("=\"");
            self.out.push_str(&escape(value));
            self.out.push('"');
        }
        self.out.push('>');
        self
    }

    pub fn close(&mut self, tag: &'static str) -> &mut Html {
        self.out.push_str("</");
        self.out.push_str(tag);
        self.out.push('>');
        self
    }

    /// Escaped text.
    pub fn text(&mut self, value: &str) -> &mut Html {
        self.out.push_str(&escape(value));
        self
    }

    /// `<tag attrs>text</tag>`.
    pub fn element(
        &mut self,
        tag: &'static str,
        attrs: &[(&'static str, &str)],
        text: &str,
    ) -> &mut Html {
        self.open(tag, attrs).text(text).close(tag)
    }

    /// Markup written by this crate (the doctype, the stylesheet); never a value.
    pub fn markup(&mut self, literal: &'static str) -> &mut Html {
        self.out.push_str(literal);
        self
    }

    pub fn newline(&mut self) -> &mut Html {
        self.out.push('\n');
        self
    }

    pub fn finish(self) -> String {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped_in_text_and_attributes() {
        let mut html = Html::new();
        html.element(
            "td",
            &[("title", "\"><script>")],
            "<script>alert('1') & co</script>",
        );
        assert_eq!(
            html.finish(),
            "<td title=\"&quot;&gt;&lt;script&gt;\">&lt;script&gt;alert(&#39;1&#39;) &amp; co&lt;/script&gt;</td>"
        );
    }
}
