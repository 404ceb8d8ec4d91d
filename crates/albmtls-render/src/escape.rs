//! Text from logs, certificates and headers, made safe to show to people.
//!
//! A certificate subject, a serial, a header value or a malformed line is written by
//! whoever connected to the load balancer. Printed raw, an ESC or CSI sequence in it can
//! retitle or clear the operator's terminal, or (OSC 52) write their clipboard; a bidi
//! override can make a subject read as another. Every human-readable renderer passes
//! such text through [`for_people`] ([`bytes_for_people`] for log lines, which need not
//! be UTF-8; [`for_markdown`] adds Markdown's own escapes, [`html_text`] and [`html_attr`]
//! HTML's); machine formats (JSON, CSV, Prometheus) keep the exact value and escape by
//! their own rules.

use std::borrow::Cow;
use std::fmt::Write as _;

/// `text` with every control character and bidi control written as an escape: C0
/// controls and DEL as `\x1b`, C1 controls and bidi controls as `\u{9b}`. Printable
/// text, tabs excepted, passes unchanged; a backslash is left as is, since subjects
/// use it for their own escapes (`\"`).
pub fn for_people(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !needs_escape(c) {
            out.push(c);
        } else if (c as u32) < 0x80 {
            let _ = write!(out, "\\x{:02x}", c as u32);
        } else {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
    Cow::Owned(out)
}

/// Appends `bytes` to `out` as [`for_people`] writes text, with every byte that is not
/// part of valid UTF-8 written as `\xNN`: for log lines shown on a terminal.
pub fn bytes_for_people(bytes: &[u8], out: &mut Vec<u8>) {
    if bytes.iter().all(|&b| (0x20..0x7f).contains(&b)) {
        out.extend_from_slice(bytes);
        return;
    }
    for chunk in bytes.utf8_chunks() {
        out.extend_from_slice(for_people(chunk.valid()).as_bytes());
        for byte in chunk.invalid() {
            out.extend_from_slice(format!("\\x{byte:02x}").as_bytes());
        }
    }
}

/// [`for_people`], then the characters that would change a Markdown table or page: `|`
/// (a cell border), backticks (code spans) and `<`, `>`, `&` (HTML, which Markdown
/// passes through) are escaped, so a value shows as written.
pub fn for_markdown(text: &str) -> Cow<'_, str> {
    let shown = for_people(text);
    if !shown.contains(['|', '`', '<', '>', '&']) {
        return shown;
    }
    let mut out = String::with_capacity(shown.len() + 8);
    for c in shown.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '`' => out.push_str("\\`"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

fn needs_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// [`for_people`], then HTML's escapes for text content. Control characters (a malformed
/// line may hold any byte) are shown escaped: browsers would hide them and XML forbids
/// most of them.
pub fn html_text(text: &str) -> String {
    html_escape::encode_text(&for_people(text)).into_owned()
}

/// A double-quoted HTML attribute value, escaped like [`html_text`].
pub fn html_attr(text: &str) -> String {
    html_escape::encode_double_quoted_attribute(&for_people(text)).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_and_bidi_overrides_are_shown_escaped() {
        assert_eq!(for_people("CN=a\x1b]0;owned\x07b"), "CN=a\\x1b]0;owned\\x07b");
        assert_eq!(for_people("x\u{9b}2J"), "x\\u{9b}2J");
        assert_eq!(for_people("tab\there\nnew\x7f"), "tab\\x09here\\x0anew\\x7f");
        assert_eq!(for_people("CN=\u{202e}gpj.exe"), "CN=\\u{202e}gpj.exe");
        assert!(matches!(for_people("CN=Plain, O=\"Quoted\" café"), Cow::Borrowed(_)));
    }

    #[test]
    fn log_bytes_are_escaped_like_text_and_invalid_utf8_byte_by_byte() {
        let mut out = Vec::new();
        bytes_for_people(b"CN=a\x1b[2J \xff\xfe caf\xc3\xa9\n", &mut out);
        assert_eq!(String::from_utf8(out).unwrap(), "CN=a\\x1b[2J \\xff\\xfe café\\x0a");
        let mut plain = Vec::new();
        bytes_for_people(b"plain line", &mut plain);
        assert_eq!(plain, b"plain line");
    }

    #[test]
    fn markdown_values_cannot_end_a_cell_open_code_or_inject_html() {
        assert_eq!(for_markdown("CN=a|b`c`<script>&x\x1b"), "CN=a\\|b\\`c\\`&lt;script&gt;&amp;x\\x1b");
        assert!(matches!(for_markdown("CN=plain"), Cow::Borrowed(_)));
    }
}
