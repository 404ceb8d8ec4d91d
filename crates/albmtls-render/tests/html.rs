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
