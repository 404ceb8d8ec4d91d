//! Tables for people, the one way every human format lays out rows: comfy-table styled
//! for a terminal (colour, the terminal's width, status names kept whole) or as Markdown,
//! with every cell from the inputs escaped for where it is shown.

use std::borrow::Cow;
use std::io::{self, Write};

use albmtls_parse::StatusKey;
use comfy_table::{Attribute, Cell, CellAlignment, Color, ColumnConstraint, ContentArrangement, Table, Width, presets};

use crate::TableStyle;
use crate::escape::{for_markdown, for_people};

#[derive(Clone, Copy)]
pub(crate) struct Tables {
    pub markdown: bool,
    pub style: TableStyle,
}

impl Tables {
    pub(crate) fn new_table(self, header: &[&str]) -> Table {
        let mut table = Table::new();
        table.load_preset(if self.markdown { presets::ASCII_MARKDOWN } else { presets::UTF8_FULL_CONDENSED });
        if self.style.color {
            table.enforce_styling();
        } else {
            table.force_no_tty();
        }
        if !self.markdown {
            // On a terminal, wrap cells to its width; into a pipe, tables keep their width.
            table.set_content_arrangement(ContentArrangement::Dynamic);
        }
        if let Some(width) = self.style.width {
            table.set_width(width);
        }
        table.set_header(header.iter().map(|h| self.header_cell(h)));
        table
    }

    /// Text from the inputs, escaped for where it is shown.
    pub(crate) fn text(self, text: &str) -> Cow<'_, str> {
        if self.markdown { for_markdown(text) } else { for_people(text) }
    }

    /// Keeps column `index` at least as wide as its widest entry, so that a narrow
    /// terminal wraps the other columns and never splits a status name.
    pub(crate) fn keep_whole(table: &mut Table, index: usize, entries: impl Iterator<Item = usize>) {
        let widest = entries.max().unwrap_or(0);
        if let Some(column) = table.column_mut(index) {
            column.set_constraint(ColumnConstraint::LowerBoundary(Width::Fixed(u16::try_from(widest + 2).unwrap_or(u16::MAX))));
        }
    }

    pub(crate) fn header_cell(self, text: &str) -> Cell {
        let cell = Cell::new(text);
        if self.style.color { cell.add_attribute(Attribute::Bold) } else { cell }
    }

    pub(crate) fn status_cell(self, status: &StatusKey) -> Cell {
        let cell = Cell::new(self.text(status.text()));
        match (self.style.color, status) {
            (false, _) => cell,
            (true, StatusKey::Success) => cell.fg(Color::Green),
            (true, s) if s.is_failure() => cell.fg(Color::Red),
            (true, _) => cell,
        }
    }

    /// A sentence, wrapped at spaces to the terminal's width when there is one.
    pub(crate) fn prose(self, text: &str) -> String {
        let Some(width) = self.style.width.filter(|_| !self.markdown).map(usize::from) else { return text.to_owned() };
        let mut lines: Vec<String> = Vec::new();
        let mut line = String::new();
        for word in text.split(' ') {
            if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        lines.push(line);
        lines.join("\n")
    }

    pub(crate) fn heading(self, out: &mut dyn Write, text: &str) -> io::Result<()> {
        if self.markdown {
            writeln!(out, "\n## {text}\n")
        } else if self.style.color {
            writeln!(out, "\n\x1b[1m{text}\x1b[0m")
        } else {
            writeln!(out, "\n{text}")
        }
    }
}

pub(crate) fn number(cell: impl ToString) -> Cell {
    Cell::new(cell).set_alignment(CellAlignment::Right)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prose_wraps_at_spaces_only_in_a_terminal_of_known_width() {
        let t = |width| Tables { markdown: false, style: TableStyle { color: false, width } };
        assert_eq!(t(Some(10)).prose("one two three four"), "one two\nthree four");
        assert_eq!(t(Some(3)).prose("unsplittable word"), "unsplittable\nword");
        assert_eq!(t(None).prose("one two three four"), "one two three four");
    }
}
