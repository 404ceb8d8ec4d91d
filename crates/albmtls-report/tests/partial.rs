//! Partial aggregates survive a round trip through JSON and merge exactly.

use albmtls_parse::Record;
use albmtls_report::{Aggregate, Partial, Report, ReportOptions};

const LINES: [&str; 5] = [
    "2026-11-02T10:00:01Z 203.0.113.7 1 443 TLSv1.3 X - \"CN=a,O=Company LLC\" - 02 Failed:ClientCertExpired TID_1",
    "2026-11-02T10:00:02Z 2001:db8::1 1 443 TLSv1.3 X - \"CN=\\\"q\\\" \u{e9}\" - 02 Failed:ClientCertExpired TID_2",
    "2026-11-02T10:01:00Z 203.0.113.8 1 443 TLSv1.3 X 0.1 \"CN=b\" - 03 Success TID_3",
    "2026-11-02T10:02:00Z 203.0.113.9 1 443 TLSv1.3 X - \"-\" - - Failed:SomethingNew TID_4",
    "2026-11-02T11:00:00Z 203.0.113.9 1 80 - - - \"-\" - - - TID_5",
];

/// The run every partial of these tests comes from.
const RUN: &str = "0123456789abcdef0123456789abcdef";

fn aggregate(lines: &[&[u8]]) -> Aggregate {
    let mut aggregate = Aggregate::new();
    for line in lines {
        aggregate.add(&Record::parse(line).unwrap());
    }
    aggregate
}

#[test]
fn partial_json_round_trip_is_exact_even_for_non_utf8_subjects() {
    let weird: &[u8] = b"2026-11-02T10:00:03Z 203.0.113.7 1 443 TLSv1.3 X - \"CN=\xff\xfe\" - 02 Failed:ClientCertExpired TID_9";
    let mut lines: Vec<&[u8]> = LINES.iter().map(|l| l.as_bytes()).collect();
    lines.push(weird);
    let original = aggregate(&lines);
    let mut json = Vec::new();
    Partial::write_json(&original, RUN, Some("1/2"), &mut json).unwrap();
    assert_eq!(
        json,
        serde_json::to_vec(&Partial::new(original.clone(), RUN.into(), Some("1/2".into()))).unwrap(),
        "borrowed and owned forms agree"
    );
    let back = Partial::from_json("p.json", &json).unwrap();
    assert_eq!(back.aggregate, original);
    assert_eq!((back.run.as_str(), back.shard.as_deref()), (RUN, Some("1/2")));
}

#[test]
fn values_from_logs_are_written_as_text_unless_they_are_not_utf8() {
    let weird: &[u8] = b"2026-11-02T10:00:03Z 203.0.113.7 1 443 TLSv1.3 X - \"CN=\xff\xfe\" - 02 Failed:ClientCertExpired TID_9";
    let success: &[u8] = b"2026-11-02T10:00:04Z 203.0.113.8 1 443 TLSv1.3 TLS_AES_128_GCM_SHA256 0.1 \"CN=ok\" NotBefore=2026-01-01T00:00:00Z;NotAfter=2026-11-20T00:00:00Z 0A1B Success TID_8 X25519MLKEM768 app/my-lb/50dc6c495c0c9188";
    let lines: Vec<&[u8]> = LINES.iter().map(|l| l.as_bytes()).chain([weird, success]).collect();
    let mut json = Vec::new();
    Partial::write_json(&aggregate(&lines), RUN, None, &mut json).unwrap();
    let json = String::from_utf8(json).unwrap();
    for text in [
        r#"["CN=a,O=Company LLC",1]"#,
        r#"["CN=\\\"q\\\" é",1]"#,
        r#"["app/my-lb/50dc6c495c0c9188",{"#,
        r#"["TLS_AES_128_GCM_SHA256",1]"#,
        r#"["X25519MLKEM768",1]"#,
        r#""subject":"CN=ok","serial":"0A1B""#,
        // Not UTF-8: its bytes, which read back exactly (the round-trip test above).
        "[[67,78,61,255,254],1]",
    ] {
        assert!(json.contains(text), "{text} not in {json}");
    }
}

#[test]
fn a_partial_without_its_run_is_refused_by_version_or_as_edited() {
    let mut earlier = serde_json::to_value(Partial::new(Aggregate::new(), RUN.into(), None)).unwrap();
    earlier.as_object_mut().unwrap().remove("run");
    earlier["albmtls_partial"] = 2.into();
    let err = Partial::from_json("old.partial.json", earlier.to_string().as_bytes()).unwrap_err();
    assert!(err.to_string().contains("partial format version 2 is not supported by this albmtls (it reads version 4)"), "{err}");
    earlier["albmtls_partial"] = Partial::VERSION.into();
    let err = Partial::from_json("edited.partial.json", earlier.to_string().as_bytes()).unwrap_err();
    assert!(err.to_string().starts_with("edited.partial.json: not an albmtls partial file: it names no run"), "{err}");
}

#[test]
fn merged_halves_equal_one_pass() {
    let all: Vec<&[u8]> = LINES.iter().map(|l| l.as_bytes()).collect();
    let mut merged = aggregate(&all[..2]);
    merged.merge(aggregate(&all[2..]));
    let whole = aggregate(&all);
    assert_eq!(merged, whole);
    let a = serde_json::to_string(&Report::build(&merged, ReportOptions::default())).unwrap();
    let b = serde_json::to_string(&Report::build(&whole, ReportOptions::default())).unwrap();
    assert_eq!(a, b);
}

#[test]
fn wrong_files_are_refused_with_a_reason() {
    let err = Partial::from_json("report.json", b"{\"records\": 3}").unwrap_err();
    assert!(err.to_string().starts_with("report.json: not an albmtls partial file"), "{err}");
    let mut future = serde_json::to_value(Partial::new(Aggregate::new(), RUN.into(), None)).unwrap();
    future["albmtls_partial"] = 99.into();
    let err = Partial::from_json("p.json", future.to_string().as_bytes()).unwrap_err();
    assert!(err.to_string().contains("version 99 is not supported"), "{err}");
    let mut edited = serde_json::to_value(Partial::new(Aggregate::new(), RUN.into(), None)).unwrap();
    let extra = edited["aggregate"]["known"][0].clone();
    edited["aggregate"]["known"].as_array_mut().unwrap().push(extra);
    let err = Partial::from_json("edited.json", edited.to_string().as_bytes()).unwrap_err();
    assert!(err.to_string().starts_with("edited.json: not an albmtls partial file"), "a reshaped file is refused, not merged: {err}");
    let mut impossible = serde_json::to_value(Partial::new(aggregate(&[LINES[0].as_bytes()]), RUN.into(), None)).unwrap();
    assert_eq!(impossible["aggregate"]["field_counts"], serde_json::json!({"12": 1}));
    impossible["aggregate"]["field_counts"]["16"] = 1.into();
    let err = Partial::from_json("edited.json", impossible.to_string().as_bytes()).unwrap_err();
    assert!(err.to_string().contains("records cannot carry 16 fields"), "{err}");
}

/// The partial file of [`LINES`] as JSON, for tests that edit it by hand.
fn edited_partial(edit: impl FnOnce(&mut serde_json::Value)) -> Result<Partial, albmtls_report::PartialError> {
    let all: Vec<&[u8]> = LINES.iter().map(|l| l.as_bytes()).collect();
    let mut json = serde_json::to_value(Partial::new(aggregate(&all), RUN.into(), None)).unwrap();
    edit(&mut json);
    Partial::from_json("edited.partial.json", &serde_json::to_vec(&json).unwrap())
}

/// The first status slot with records in a partial's JSON.
fn first_counted(json: &mut serde_json::Value) -> &mut serde_json::Value {
    json["aggregate"]["known"].as_array_mut().unwrap().iter_mut().find(|s| s["count"].as_u64() > Some(0)).unwrap()
}

/// The fuzzer's first find (partial_files): a hand-edited minute far past year 9999 made
/// the report's timeline overflow a multiplication.
#[test]
fn a_partial_with_a_minute_beyond_the_calendar_is_refused_not_a_multiply_overflow() {
    let err = edited_partial(|json| {
        let status = first_counted(json);
        let count = status["count"].clone();
        status["per_minute"] = serde_json::json!({ "9000000000000000": count });
    })
    .unwrap_err()
    .to_string();
    assert!(err.contains("edited.partial.json: not an albmtls partial file") && err.contains("outside the years 0 to 9999"), "{err}");
}

#[test]
fn a_partial_whose_counts_do_not_add_up_is_refused() {
    for (what, edit) in [
        ("records", Box::new(|json: &mut serde_json::Value| json["aggregate"]["records"] = 999.into()) as Box<dyn FnOnce(&mut _)>),
        ("minutes", Box::new(|json: &mut serde_json::Value| first_counted(json)["count"] = 7.into())),
        ("huge", Box::new(|json: &mut serde_json::Value| json["aggregate"]["malformed"] = u64::MAX.into())),
        ("times", Box::new(|json: &mut serde_json::Value| first_counted(json)["first_seen"] = serde_json::Value::Null)),
    ] {
        let err = edited_partial(edit).unwrap_err().to_string();
        assert!(err.contains("not an albmtls partial file"), "{what}: {err}");
    }
    assert!(edited_partial(|_| {}).is_ok(), "the file as written is accepted");
}

/// The fuzzer's second find (partial_files, an out-of-memory): a minute years after the
/// status's last-seen time stretched the contiguous timeline over those years.
#[test]
fn a_partial_whose_minutes_leave_its_first_and_last_seen_is_refused_not_an_out_of_memory() {
    let err = edited_partial(|json| {
        let status = first_counted(json);
        let per_minute = status["per_minute"].as_object_mut().unwrap();
        let (minute, n) = per_minute.iter().next().map(|(m, n)| (m.clone(), n.clone())).unwrap();
        per_minute.remove(&minute);
        let years_later = minute.parse::<i64>().unwrap() + 10_000_000;
        per_minute.insert(years_later.to_string(), n);
    })
    .unwrap_err()
    .to_string();
    assert!(err.contains("lies outside its first and last seen times"), "{err}");
}

/// Vended records of a delivery that left out the status, the listener port, the TLS
/// protocol, the subject and the serial: counted as not delivered in every section, and
/// still merged and round-tripped exactly.
#[test]
fn records_lacking_fields_merge_and_round_trip_exactly() {
    use albmtls_parse::vended::{FieldList, Scratch, parse_delimited};
    let fields = FieldList::parse("time,client_ip,tls_handshake_latency,leaf_client_cert_validity").unwrap();
    let rows = [
        "2026-11-02T10:00:01Z,203.0.113.7,0.004,NotBefore=2026-01-01T00:00:00Z;NotAfter=2026-11-20T00:00:00Z",
        "2026-11-02T10:03:00Z,203.0.113.8,0.010,-",
        "2026-11-02T10:09:00Z,203.0.113.8,-,-",
    ];
    let build = |rows: &[&str], lines: &[&str]| {
        let mut aggregate = Aggregate::new();
        let mut scratch = Scratch::new();
        for row in rows {
            aggregate.add(&parse_delimited(row.as_bytes(), &fields, Some(b','), &mut scratch).unwrap());
        }
        for line in lines {
            aggregate.add(&Record::parse(line.as_bytes()).unwrap());
        }
        aggregate
    };
    let whole = build(&rows, &LINES);
    let mut merged = build(&rows[..1], &LINES[..2]);
    merged.merge(build(&rows[1..], &LINES[2..]));
    assert_eq!(merged, whole);
    whole.check_consistent().unwrap();
    let mut json = Vec::new();
    Partial::write_json(&whole, RUN, None, &mut json).unwrap();
    let back = Partial::from_json("p.json", &json).unwrap().aggregate;
    assert_eq!(back, whole);
    let report = Report::build(&back, ReportOptions::default());
    assert_eq!(report.records, 8);
    assert_eq!(report.statuses.iter().map(|s| s.count).sum::<u64>(), 5, "the three rows without a status are in none");
    assert_eq!(report.timeline.iter().map(|row| row.total()).sum::<u64>(), 8, "but in the timeline");
    assert_eq!(report.listeners.iter().map(|l| l.traffic.records).sum::<u64>(), 5, "and in no listener");
    assert_eq!(report.load_balancers.iter().map(|lb| lb.traffic.status_not_delivered).sum::<u64>(), 3);
    let latency = report.handshake_latency.protocol_not_delivered.as_ref().unwrap();
    assert_eq!((latency.records, report.handshake_latency.overall.records), (2, 3));
    let per_load_balancer: u64 = report.handshake_latency.by_load_balancer.values().map(|s| s.records).sum();
    assert_eq!(per_load_balancer, 3, "a latency without its protocol is still in its load balancer");
    assert!(report.handshake_latency.by_protocol.keys().all(|protocol| protocol != "-"), "no latency is filed under a made-up protocol");
}

/// A delivery that left out the listener port but not the status: its records are in no
/// listener, and a partial file's listeners add up once the ports not delivered are
/// counted; a listener given a record more is still refused.
#[test]
fn listeners_of_a_delivery_without_ports_add_up_with_the_ports_not_delivered() {
    use albmtls_parse::vended::{FieldList, Scratch, parse_delimited};
    let fields = FieldList::parse("time,client_ip,tls_verify_status").unwrap();
    let mut aggregate = Aggregate::new();
    let mut scratch = Scratch::new();
    for row in ["2026-11-02T10:00:03Z,203.0.113.7,Success", "2026-11-02T10:00:04Z,203.0.113.8,Failed:ClientCertExpired"] {
        aggregate.add(&parse_delimited(row.as_bytes(), &fields, Some(b','), &mut scratch).unwrap());
    }
    for line in LINES {
        aggregate.add(&Record::parse(line.as_bytes()).unwrap());
    }
    aggregate.check_consistent().unwrap();
    let mut json = serde_json::to_value(Partial::new(aggregate.clone(), RUN.into(), None)).unwrap();
    let load = |json: &serde_json::Value| Partial::from_json("edited.partial.json", &serde_json::to_vec(json).unwrap());
    assert_eq!(load(&json).unwrap().aggregate, aggregate);
    let known = &mut json["aggregate"]["listeners"][0][1]["known"];
    let slot = known.as_array().unwrap().iter().position(|n| n.as_u64() > Some(0)).unwrap();
    known[slot] = (known[slot].as_u64().unwrap() + 1).into();
    let err = load(&json).unwrap_err().to_string();
    assert!(err.contains("the records per listener and status do not add up"), "{err}");
}

/// The sections per load balancer, listener, TLS, latency and certificate are checked
/// as the statuses are: a hand-edited file whose counts there do not add up, or are
/// beyond any run, is refused with the reason.
#[test]
fn a_partial_whose_sections_do_not_add_up_is_refused() {
    type Edit = Box<dyn FnOnce(&mut serde_json::Value)>;
    fn aggregate(json: &mut serde_json::Value) -> &mut serde_json::Value {
        &mut json["aggregate"]
    }
    let cases: Vec<(&str, Edit, &str)> = vec![
        (
            "one more record on a load balancer",
            Box::new(|json| {
                let known = &mut aggregate(json)["load_balancers"][0][1]["known"];
                let slot = known.as_array().unwrap().iter().position(|n| n.as_u64() > Some(0)).unwrap();
                known[slot] = (known[slot].as_u64().unwrap() + 1).into();
            }),
            "the records per load balancer and status do not add up",
        ),
        (
            "a listener count beyond any run",
            Box::new(|json| aggregate(json)["listeners"][0][1]["known"][1] = (1u64 << 60).into()),
            "beyond any real run",
        ),
        (
            "a latency histogram that counts more than the load balancers'",
            Box::new(|json| aggregate(json)["latency"]["by_protocol"][0][1] = serde_json::json!([[100, 5]])),
            "its handshake latencies count 5 records per protocol and 1 per load balancer",
        ),
        (
            "a latency of years",
            Box::new(|json| aggregate(json)["latency"]["by_protocol"][0][1] = serde_json::json!([[4_000_000_000u32, 1]])),
            "more than a day",
        ),
        (
            "a load balancer given twice",
            Box::new(|json| {
                let lbs = aggregate(json)["load_balancers"].as_array_mut().unwrap();
                lbs.push(lbs[0].clone());
            }),
            "a key appears twice",
        ),
        (
            "more key exchanges than records",
            Box::new(|json| aggregate(json)["tls"]["key_exchanges"] = serde_json::json!([[[120, 50, 53, 53, 49, 57], 999]])),
            "its TLS key exchanges count 999 records, more than its 5",
        ),
        (
            "a certificate used more often than anything succeeded",
            Box::new(|json| {
                aggregate(json)["certificates"]["seen"] = serde_json::json!([{
                    "subject": [67, 78, 61, 98], "serial": [48, 51], "not_after": 1_800_000_000_000_000i64,
                    "connections": 1000, "last_seen": 1_793_613_660_000_000i64, "last_client_ip": "203.0.113.8"
                }]);
            }),
            "its certificates count 1000 successful connections",
        ),
        (
            "a certificate that expired before it was last seen",
            Box::new(|json| {
                aggregate(json)["certificates"]["seen"] = serde_json::json!([{
                    "subject": [67, 78, 61, 98], "serial": [48, 51], "not_after": 1_000_000_000_000_000i64,
                    "connections": 1, "last_seen": 1_793_613_660_000_000i64, "last_client_ip": "203.0.113.8"
                }]);
            }),
            "do not fit together",
        ),
    ];
    for (what, edit, reason) in cases {
        let err = edited_partial(edit).unwrap_err().to_string();
        assert!(err.starts_with("edited.partial.json: not an albmtls partial file"), "{what}: {err}");
        assert!(err.contains(reason), "{what}: {err}");
    }
}
