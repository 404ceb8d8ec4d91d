//! The HTML report: self-contained, escaped, one chart per failure code, well-formed.

mod render_fixture;

use std::collections::BTreeSet;

use albmtls_parse::{FailureCode, StatusKey};
use albmtls_render::html::write_html;
use albmtls_report::report::{format_bucket, format_time};
use albmtls_report::{Aggregate, Report, ReportOptions};
use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};
use render_fixture::{HOSTILE_SUBJECT, INPUT_NAME, WEIRD_STATUS};

fn render(report: &Report, title: &str) -> String {
    let mut out = Vec::new();
    write_html(report, title, None, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// What the page holds, read back with an XML parser: the page is written as well-formed
/// XML after its doctype, so a strict parser checks that every element is closed, nested
/// right and every entity is one XML knows.
#[derive(Debug, Default)]
struct Page {
    elements: Vec<String>,
    /// Every `href` and `src` value.
    links: Vec<String>,
    ids: BTreeSet<String>,
    /// Text of each `<title>` inside an `<svg>`, in order.
    chart_titles: Vec<String>,
    /// All text content, unescaped.
    text: String,
}

fn parse(html: &str) -> Page {
    let body = html.strip_prefix("<!DOCTYPE html>\n").expect("the page starts with the HTML5 doctype");
    let mut reader = Reader::from_str(body);
    let mut page = Page::default();
    let mut open: Vec<String> = Vec::new();
    let mut chart_title: Option<String> = None;
    let mut roots = 0;
    loop {
        let event = reader.read_event().unwrap_or_else(|e| panic!("not well-formed at {}: {e}", reader.buffer_position()));
        let mut text = String::new();
        match event {
            Event::Start(e) => {
                roots += usize::from(open.is_empty());
                let name = element(&e, &mut page);
                if name == "title" && open.last().is_some_and(|p| p == "svg") {
                    chart_title = Some(String::new());
                }
                open.push(name);
            }
            Event::Empty(e) => {
                roots += usize::from(open.is_empty());
                element(&e, &mut page);
            }
            Event::End(e) => {
                let name = e.name().as_ref().to_owned();
                assert_eq!(open.pop().as_deref(), Some(name.as_str()), "mismatched end tag");
                if name == "title"
                    && let Some(title) = chart_title.take()
                {
                    page.chart_titles.push(title);
                }
            }
            Event::Text(t) => text.push_str(&t.xml10_content()),
            Event::GeneralRef(r) => match r.resolve_char_ref().unwrap() {
                Some(c) => text.push(c),
                None => text.push_str(match r.xml10_content().as_ref() {
                    "amp" => "&",
                    "lt" => "<",
                    "gt" => ">",
                    "quot" => "\"",
                    "apos" => "'",
                    other => panic!("entity &{other}; is not one XML knows"),
                }),
            },
            Event::Eof => break,
            Event::Comment(_) | Event::CData(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {
                panic!("unexpected {event:?}")
            }
        }
        if let Some(title) = chart_title.as_mut() {
            title.push_str(&text);
        }
        page.text.push_str(&text);
    }
    assert!(open.is_empty(), "unclosed elements: {open:?}");
    assert_eq!(roots, 1, "one root element");
    page
}

/// Notes an element's name, links and id.
fn element(e: &BytesStart<'_>, page: &mut Page) -> String {
    let name = e.name().as_ref().to_owned();
    for a in e.attributes() {
        let a = a.unwrap();
        let value = a.normalized_value(XmlVersion::Implicit1_0).unwrap().into_owned();
        match a.key.as_ref() {
            "href" | "src" => page.links.push(value),
            "id" => assert!(page.ids.insert(value), "duplicate id"),
            _ => {}
        }
    }
    page.elements.push(name.clone());
    name
}

#[test]
fn log_text_is_escaped_everywhere() {
    let report = render_fixture::report();
    let html = render(&report, "mTLS <report> & \"friends\"");

    // The hostile subject never reaches the page as markup.
    assert!(!html.contains("<script"), "no script element, not even a hostile one");
    assert!(html.contains("CN=&lt;script&gt;alert(1)&lt;/script&gt;,O=Tom &amp; Jerry \"Ltd\",C=US"));
    assert!(!html.contains("Tom & Jerry"));
    // Title, input names and error messages are escaped too.
    assert!(html.contains("<title>mTLS &lt;report&gt; &amp; \"friends\"</title>"));
    assert!(html.contains("logs/&lt;odd&gt; &amp; \"name\".log"));
    assert!(html.contains("logs/cut-short &lt;gz&gt;.log.gz"));
    assert!(html.contains("unexpected end of file &amp; more"));

    // And once parsed, the text reads as it was logged (subject escapes undone).
    let page = parse(&html);
    let unescaped_subject = HOSTILE_SUBJECT.replace("\\\"", "\"");
    assert!(page.text.contains(&unescaped_subject), "{unescaped_subject}");
    assert!(page.text.contains(INPUT_NAME));
    assert!(page.text.contains(WEIRD_STATUS));
}

#[test]
fn every_failure_code_has_a_chart() {
    let report = render_fixture::report();
    assert!(report.failures.len() >= 4, "the fixture has several codes");
    let html = render(&report, "albmtls");
    let page = parse(&html);

    // The overall timeline, then one chart per failure code.
    assert_eq!(html.matches("<svg").count(), report.failures.len() + 1);
    assert_eq!(html.matches("</svg>").count(), report.failures.len() + 1);
    assert_eq!(page.chart_titles.len(), report.failures.len() + 1);
    let total = report.timeline.iter().map(|row| row.total()).max().unwrap();
    assert!(page.chart_titles[0].starts_with(&format!("All records: records per {} bucket, at most {total}", report.bucket)));
    for (failure, title) in report.failures.iter().zip(&page.chart_titles[1..]) {
        assert!(title.starts_with(&format!("{}: records per {} bucket", failure.status, report.bucket)), "{title}");
        // Axis labels: the max count and the first and last bucket.
        let max = report.timeline.iter().map(|row| row.count(&failure.status)).max().unwrap();
        assert!(title.contains(&format!("at most {max}")), "{title}");
        assert!(title.contains(&format_bucket(report.timeline.first().unwrap().start)), "{title}");
        assert!(title.contains(&format_bucket(report.timeline.last().unwrap().start)), "{title}");
    }
    // The expired-certificate chart has one bar per bucket with records.
    let expired = report.failures.iter().position(|f| f.code() == "ClientCertExpired").unwrap();
    let svg = html.split("<svg").nth(expired + 2).unwrap().split("</svg>").next().unwrap();
    let buckets = report.timeline.iter().filter(|row| row.count(&StatusKey::Failed(FailureCode::ClientCertExpired)) > 0).count();
    assert_eq!(svg.matches("fill=\"#d1242f\"").count(), buckets);
}

#[test]
fn nothing_is_loaded_from_outside_the_page() {
    let report = render_fixture::report();
    let html = render(&report, "albmtls");
    let page = parse(&html);

    for link in &page.links {
        assert!(link.starts_with('#'), "only links inside the page: {link}");
        assert!(page.ids.contains(&link[1..]), "link target exists: {link}");
    }
    for element in ["script", "link", "img", "iframe", "object", "embed", "image", "use", "foreignObject"] {
        assert!(!page.elements.iter().any(|e| e == element), "no <{element}>");
    }
    let lower = html.to_ascii_lowercase();
    for pattern in ["src=", "@import", "url(", "javascript:", "xmlns=\"http"] {
        assert!(!lower.contains(pattern), "{pattern}");
    }
    // http(s) appears only as text (a remediation command), never in a tag.
    for tag in html.split('<').skip(1).map(|t| t.split('>').next().unwrap()) {
        assert!(!tag.contains("http://") && !tag.contains("https://"), "{tag}");
    }
}

#[test]
fn the_page_has_the_report_sections() {
    let report = render_fixture::report();
    let html = render(&report, "albmtls");
    let page = parse(&html);

    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    assert!(html.contains("<meta charset=\"utf-8\"/>"));
    assert!(page.text.contains(&format!("{} records read from 2 inputs", report.records)));
    let (first, last) = report.span.unwrap();
    assert!(page.text.contains(&format_time(first)));
    assert!(page.text.contains(&format_time(last)));
    for status in &report.statuses {
        assert!(page.text.contains(&format!("{:.2}%", status.share)), "{}", status.status);
    }
    for failure in &report.failures {
        assert!(page.text.contains(failure.remediation.summary));
        for step in failure.remediation.steps {
            // Backticks became <code> elements; the words remain.
            assert!(page.text.contains(&step.replace('`', "")), "{step}");
        }
        for client in &failure.top_clients {
            assert!(page.text.contains(&client.ip.to_string()));
        }
    }
    assert!(page.text.contains("This code is not in the AWS documentation"));
    // Not counted: malformed samples, skipped files, input errors.
    assert!(page.text.contains(&format!("Malformed lines (first 2 of {})", report.malformed)));
    assert!(page.text.contains("access logs and other files that are not connection logs3"));
    assert!(page.text.contains("Inputs with errors"));
}

#[test]
fn empty_and_odd_reports_render() {
    let empty = Report::build(&Aggregate::new(), ReportOptions::default());
    let html = render(&empty, "");
    let page = parse(&html);
    assert!(page.text.contains("No records."));
    assert!(page.text.contains("Every line read was counted."));
    assert!(!html.contains("<svg"));

    // A hand-edited report with a nonsense share still renders; control characters are
    // shown, not passed through.
    let mut odd = render_fixture::report();
    odd.statuses[0].share = 1e9;
    odd.skipped.malformed_samples[0].text = "a\u{1b}[31mred\u{0}".to_owned();
    let html = render(&odd, "odd");
    let page = parse(&html);
    assert_eq!(html.matches("<svg").count(), odd.failures.len() + 1);
    assert!(page.text.contains("a\\x1b[31mred\\x00"));
    assert!(html.contains("width: 120px"), "a share bar never grows past its column");
}

/// One `<tr>` of a table: its cells' text and its bar segments' `style` and `title`.
#[derive(Debug, Default)]
struct Row {
    cells: Vec<String>,
    bars: Vec<(String, String)>,
}

/// The rows of the first table after the `<h2>` whose text is `heading`, and the text of
/// the `<p>` elements between them.
fn section_rows(html: &str, heading: &str) -> (Vec<String>, Vec<Row>) {
    let start = html.find(&format!("<h2>{heading}")).unwrap_or_else(|| panic!("no section {heading}"));
    let fragment = &html[start..];
    let fragment = &fragment[..fragment.find("</table>").expect("a table") + "</table>".len()];
    let mut reader = Reader::from_str(fragment);
    let (mut paragraphs, mut rows): (Vec<String>, Vec<Row>) = (Vec::new(), Vec::new());
    let (mut in_p, mut in_td) = (false, false);
    let attribute = |e: &BytesStart<'_>, name: &str| {
        e.attributes()
            .map(|a| a.unwrap())
            .find(|a| a.key.as_ref() == name)
            .map(|a| a.normalized_value(XmlVersion::Implicit1_0).unwrap().into_owned())
            .unwrap_or_default()
    };
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == "span" && attribute(&e, "class").split(' ').any(|c| c == "bar") => {
                if let Some(row) = rows.last_mut().filter(|_| in_td) {
                    row.bars.push((attribute(&e, "style"), attribute(&e, "title")));
                } else {
                    paragraphs.last_mut().expect("a bar in a paragraph").push_str(&format!("[bar {}]", attribute(&e, "style")));
                }
            }
            Event::Start(e) => match e.name().as_ref() {
                "p" => {
                    in_p = true;
                    paragraphs.push(String::new());
                }
                "tr" => rows.push(Row::default()),
                "td" => {
                    in_td = true;
                    rows.last_mut().unwrap().cells.push(String::new());
                }
                _ => {}
            },
            Event::End(e) => match e.name().as_ref() {
                "p" => in_p = false,
                "td" => in_td = false,
                _ => {}
            },
            Event::Text(t) => {
                let text = t.xml10_content().into_owned();
                if in_td {
                    rows.last_mut().unwrap().cells.last_mut().unwrap().push_str(&text);
                } else if in_p {
                    paragraphs.last_mut().unwrap().push_str(&text);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    // The header row has no cells.
    (paragraphs, rows.into_iter().filter(|r| !r.cells.is_empty()).collect())
}

/// Pixel width in a `style` attribute.
fn width(style: &str) -> u64 {
    style.split("width: ").nth(1).and_then(|w| w.split("px").next()).unwrap().parse().unwrap()
}

/// Two load balancers failing with several codes (one of them only from its file name),
/// post-quantum and classic key exchanges, and certificates expiring inside and outside
/// the window.
fn posture_report() -> Report {
    let at = |minute: u32| format!("2026-11-02T10:{minute:02}:00.000000Z");
    let line = |minute: u32, status: &str, validity: &str, tail: &str| {
        format!(
            "{} 203.0.113.{minute} 1 443 TLSv1.3 TLS_AES_128_GCM_SHA256 0.0{minute:02} \"CN=c{minute}\" {validity} 0{minute} {status} TID_{minute}{tail}",
            at(minute)
        )
    };
    let soon = "NotBefore=2026-01-01T00:00:00Z;NotAfter=2026-11-12T00:00:00Z";
    let sooner = "NotBefore=2026-01-01T00:00:00Z;NotAfter=2026-11-05T00:00:00Z";
    let later = "NotBefore=2026-01-01T00:00:00Z;NotAfter=2027-06-01T00:00:00Z";
    let edge_a = " X25519MLKEM768 app/edge-a/1111aaaa 10.0.0.1";
    let edge_a_classic = " secp256r1 app/edge-a/1111aaaa 10.0.0.1";
    let mut aggregate = Aggregate::new();
    let mut add =
        |text: String, from_name: Option<&[u8]>| aggregate.add_from(&albmtls_parse::Record::parse(text.as_bytes()).unwrap(), from_name);
    add(line(10, "Success", soon, edge_a), None);
    add(line(11, "Success", later, edge_a_classic), None);
    add(line(12, "Failed:ClientCertExpired", later, edge_a), None);
    add(line(13, "Failed:ClientCertExpired", later, edge_a), None);
    add(line(14, "Failed:ClientCertUntrusted", later, edge_a_classic), None);
    // 12-field lines: the load balancer comes from the file name.
    for minute in 20..26 {
        add(line(minute, "Failed:ClientCertExpired", later, ""), Some(b"app/edge-b/2222bbbb"));
    }
    add(line(26, "Failed:ClientCertCrlHit", later, ""), Some(b"app/edge-b/2222bbbb"));
    add(line(27, "Success", sooner, ""), Some(b"app/edge-b/2222bbbb"));
    Report::build(&aggregate, ReportOptions::default())
}

#[test]
fn failures_per_load_balancer_stack_their_codes_with_a_legend() {
    let report = posture_report();
    let html = render(&report, "albmtls");
    parse(&html);
    let (paragraphs, rows) = section_rows(&html, "Load balancers");
    let legend = paragraphs.iter().find(|p| p.starts_with("Failures by code:")).expect("a legend");
    let codes: Vec<&str> = report.failures.iter().map(|f| f.code()).collect();
    assert_eq!(codes, ["ClientCertExpired", "ClientCertCrlHit", "ClientCertUntrusted"], "most records first");
    for code in &codes {
        assert!(legend.contains(code), "{code} in {legend}");
    }
    // Each code keeps its colour on every bar; the swatches are in the legend's order.
    let swatches: Vec<String> = html
        .split("class=\"swatch\" style=\"background: ")
        .skip(1)
        .take(codes.len())
        .map(|s| s.split('"').next().unwrap().to_owned())
        .collect();
    assert_eq!(swatches.iter().collect::<BTreeSet<_>>().len(), codes.len(), "a colour per code");
    let largest = report.load_balancers.iter().map(|lb| lb.traffic.failed).max().unwrap();
    assert_eq!(rows.len(), report.load_balancers.len());
    for (row, lb) in rows.iter().zip(&report.load_balancers) {
        assert_eq!(row.cells[0], lb.elb);
        assert_eq!(row.cells[2], lb.traffic.failed.to_string());
        let expected: Vec<(String, u64, &String)> = report
            .failures
            .iter()
            .zip(&swatches)
            .map(|(f, colour)| (f.code().to_owned(), lb.traffic.count(&f.status), colour))
            .filter(|(_, n, _)| *n > 0)
            .collect();
        assert_eq!(row.bars.len(), expected.len(), "{}: one segment per failure code", lb.elb);
        for ((style, title), (code, n, colour)) in row.bars.iter().zip(&expected) {
            assert_eq!(title, &format!("{code}: {n}"));
            assert!(style.contains(&format!("background: {colour}")), "{style}");
            assert_eq!(width(style), (n * 320 / largest).max(1), "{}: {code}", lb.elb);
        }
    }
    // app/edge-b fails most: 6 expired and 1 revoked; app/edge-a 2 expired and 1 untrusted.
    assert_eq!(rows[0].cells[0], "app/edge-b/2222bbbb");
    let full = rows[0].bars.iter().map(|(s, _)| width(s)).sum::<u64>();
    assert!((320 - rows[0].bars.len() as u64..=320).contains(&full), "the most failures fill the column, but for rounding: {full}");
}

#[test]
fn the_post_quantum_share_and_the_expiry_timeline_are_shown() {
    let report = posture_report();
    let html = render(&report, "albmtls");
    let tls = &report.tls;
    assert_eq!((tls.key_exchange_records, tls.post_quantum_records), (5, 3));
    let (paragraphs, _) = section_rows(&html, "TLS");
    let share = paragraphs.iter().find(|p| p.starts_with("Post-quantum key exchange")).expect("the post-quantum share");
    assert!(share.contains("60%") && share.contains("of 5 handshakes"), "{share}");
    assert!(share.contains(&format!("[bar width: {}px]", 3 * 320 / 5)), "{share}");

    let expiring = &report.expiring;
    assert_eq!(expiring.certificates.len(), 2, "the 2027 certificate is outside the window");
    let (_, rows) = section_rows(&html, &format!("Certificates expiring within {} days", expiring.within_days));
    assert_eq!(rows.len(), 2);
    for (row, certificate) in rows.iter().zip(&expiring.certificates) {
        assert_eq!(row.cells[0], format_time(certificate.not_after));
        assert_eq!(row.cells[1], certificate.days_left.to_string());
        let subject = certificate.subject.as_deref().expect("classic lines deliver the subject");
        assert_eq!(row.cells[3], subject);
        let days = certificate.days_left as u64;
        assert_eq!(width(&row.bars[0].0), (days * 320 / u64::from(expiring.within_days)).max(1), "{subject}");
    }
    assert_eq!(rows[0].cells[3], "CN=c27", "soonest first");
    assert!(width(&rows[0].bars[0].0) < width(&rows[1].bars[0].0), "a bar as long as the time left");
}
