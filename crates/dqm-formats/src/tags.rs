//! The XML-like scalar tags that legacy key names and PB `TObjString`s carry: `<name>i=5</name>` (§4).

/// A QTest result, `qr=st:STATUS:RESULT:ALGORITHM:MESSAGE`.
#[derive(Clone, Debug, PartialEq)]
pub struct QTest {
    pub name: String,
    pub status: i32,
    pub result: f64,
    pub algorithm: String,
    pub message: String,
}

/// What one tag says.
#[derive(Clone, Debug, PartialEq)]
pub enum Tag<'a> {
    Int(i64),
    Float(f64),
    String(&'a str),
    /// `e=1`: the ME of the same name is an efficiency plot.
    Efficiency,
    /// `qr=…`: the tag name is `mename.qtname`; `test.name` is still empty here.
    QTest(QTest),
    /// Another `x=` tag, or a malformed value: skipped by the listers.
    Unknown,
}

/// Splits `<name>body</name>` into the name and the parsed body; `None` if it is not a tag at all.
pub fn parse(text: &str) -> Option<(&str, Tag<'_>)> {
    let rest = text.strip_prefix('<')?;
    let close = rest.find('>')?;
    let name = &rest[..close];
    let after = &rest[close + 1..];
    // Strip exactly the closing tag (Decision in §4): a value may itself contain `<`.
    let body = after
        .strip_suffix('>')
        .and_then(|s| s.strip_suffix(name))
        .and_then(|s| s.strip_suffix("</"))
        .unwrap_or(after);
    Some((name, parse_body(body)))
}

fn parse_body(body: &str) -> Tag<'_> {
    if let Some(v) = body.strip_prefix("i=") {
        v.trim().parse().map(Tag::Int).unwrap_or(Tag::Unknown)
    } else if let Some(v) = body.strip_prefix("f=") {
        v.trim().parse().map(Tag::Float).unwrap_or(Tag::Unknown)
    } else if let Some(v) = body.strip_prefix("s=") {
        Tag::String(v)
    } else if body == "e=1" {
        Tag::Efficiency
    } else if let Some(v) = body.strip_prefix("qr=") {
        parse_qtest(v).map(Tag::QTest).unwrap_or(Tag::Unknown)
    } else {
        Tag::Unknown
    }
}

fn parse_qtest(v: &str) -> Option<QTest> {
    // At most 5 parts: the message may contain ':'.
    let mut parts = v.splitn(5, ':');
    if parts.next()? != "st" {
        return None;
    }
    let status = parts.next()?.trim().parse().ok()?;
    let result = parts.next()?.trim().parse().ok()?;
    let algorithm = parts.next()?.to_string();
    let message = parts.next().unwrap_or("").to_string();
    Some(QTest {
        name: String::new(),
        status,
        result,
        algorithm,
        message,
    })
}

/// Splits a legacy qtest tag name `mename.qtname`: the split whose left part is a known ME, else the last `.`.
pub fn split_qtest_name(name: &str, is_me: impl Fn(&str) -> bool) -> Option<(&str, &str)> {
    let by_me = name
        .match_indices('.')
        .map(|(i, _)| (&name[..i], &name[i + 1..]))
        .find(|(me, _)| is_me(me));
    by_me.or_else(|| name.rsplit_once('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars() {
        assert_eq!(
            parse("<iRun>i=123456</iRun>"),
            Some(("iRun", Tag::Int(123456)))
        );
        assert_eq!(
            parse("<negativeInt>i=-42</negativeInt>"),
            Some(("negativeInt", Tag::Int(-42)))
        );
        let f = parse("<reportSummary>f=0.98699999999999999</reportSummary>").unwrap();
        assert_eq!(f, ("reportSummary", Tag::Float(0.987)));
        assert_eq!(parse("<t>f=1.25e-07</t>").unwrap().1, Tag::Float(1.25e-07));
        assert_eq!(
            parse("<CMSSW>s=CMSSW_14_0_6</CMSSW>"),
            Some(("CMSSW", Tag::String("CMSSW_14_0_6")))
        );
        let s =
            parse("<string with spaces>s=hello world <b>bold</b></string with spaces>").unwrap();
        assert_eq!(
            s,
            ("string with spaces", Tag::String("hello world <b>bold</b>"))
        );
    }

    #[test]
    fn flags_and_qtests() {
        assert_eq!(
            parse("<TrackEfficiency>e=1</TrackEfficiency>").unwrap().1,
            Tag::Efficiency
        );
        assert_eq!(parse("<x>e=0</x>").unwrap().1, Tag::Unknown);
        let (name, tag) = parse("<EBTMT timing map.TimingQTest>qr=st:100:0.75:ContentsWithinExpected:a:b</EBTMT timing map.TimingQTest>").unwrap();
        assert_eq!(name, "EBTMT timing map.TimingQTest");
        let Tag::QTest(q) = tag else {
            panic!("not a qtest")
        };
        assert_eq!(
            (q.status, q.result, q.algorithm.as_str(), q.message.as_str()),
            (100, 0.75, "ContentsWithinExpected", "a:b")
        );
        assert_eq!(parse("<q>qr=st:x:1:A:B</q>").unwrap().1, Tag::Unknown);
    }

    #[test]
    fn malformed() {
        assert_eq!(parse("iRun"), None);
        assert_eq!(parse("<unterminated"), None);
        assert_eq!(parse("<a>i=notanumber</a>").unwrap().1, Tag::Unknown);
        assert_eq!(parse("<a>z=1</a>").unwrap().1, Tag::Unknown);
        // A missing closing tag keeps the whole remainder.
        assert_eq!(parse("<a>s=x").unwrap().1, Tag::String("x"));
    }

    #[test]
    fn qtest_name_split() {
        let known = |me: &str| me == "a.b";
        assert_eq!(split_qtest_name("a.b.QT", known), Some(("a.b", "QT")));
        assert_eq!(split_qtest_name("x.y.QT", known), Some(("x.y", "QT")));
        assert_eq!(split_qtest_name("noqt", known), None);
    }
}
