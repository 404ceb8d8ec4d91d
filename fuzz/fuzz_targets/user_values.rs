//! Any text as the values users type: times (`--since`), durations, statuses (`--status`,
//! `--fail-on`), networks (`--ip`). Each is understood or refused with a message; never a
//! panic, and what is understood is consistent (a range is never empty, a network holds
//! its own address).
#![no_main]

use albmtls_parse::filter::parse_ip_filter;
use albmtls_parse::{StatusFilter, TimeRange, parse_duration, parse_user_time};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let now = 1_790_000_000_000_000;
    let time = parse_user_time(text, now);
    if let Ok(since) = time
        && let Some(until) = since.checked_add(1)
    {
        assert!(TimeRange::new(Some(since), Some(until)).is_ok());
        assert!(TimeRange::new(Some(until), Some(since)).is_err());
    }
    let _ = parse_duration(text);
    if let Ok(status) = StatusFilter::parse(text) {
        let _ = format!("{status:?}");
    }
    if let Ok(network) = parse_ip_filter(text) {
        assert!(network.contains(&network.addr()), "{network} holds its own address");
    }
});
