//! Text from logs, certificates and headers, made safe to show to people.
//!
//! A certificate subject, a serial, a header value or a malformed line is written by
//! whoever connected to the load balancer. Printed raw, an ESC or CSI sequence in it can
//! retitle or clear the operator's terminal, or (OSC 52) write their clipboard; a bidi
//! override can make a subject read as another. Every human-readable renderer passes
//! such text through [`for_people`]; machine formats (JSON, CSV, Prometheus) keep the
//! exact value and escape by their own rules.

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

fn needs_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
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
}
