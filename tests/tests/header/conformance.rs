//! Every case of the web-platform-tests Server-Timing parsing suite (see
//! `tests/conformance/README.md`) against `server_timing_runtime::parse`.

use server_timing_runtime::{ParsedMetric, parse};

const VECTORS: &str = include_str!("../../conformance/server-timing-parsing.json");
const CASES: usize = 85;

#[test]
fn every_conformance_case_parses_as_browsers_do() {
    let cases = json::parse(VECTORS).expect("the vectors file is JSON");
    let cases = cases.as_array().expect("the vectors file is an array of cases");
    assert_eq!(cases.len(), CASES, "the vectors file has {CASES} cases");

    let mut failures = Vec::new();
    for case in cases {
        let header = case
            .get("header")
            .and_then(json::Value::as_str)
            .expect("a case has a header");
        let expected = expected_metrics(case);
        let actual = parse(header);
        if actual != expected {
            failures.push(format!(
                "header {header:?}\n  expected {expected:?}\n  parsed   {actual:?}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {CASES} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn the_two_noted_cases_follow_chromium_not_the_2018_generator() {
    let cases = json::parse(VECTORS).expect("the vectors file is JSON");
    let noted: Vec<&json::Value> = cases
        .as_array()
        .expect("an array")
        .iter()
        .filter(|case| case.get("note").is_some())
        .collect();
    assert_eq!(noted.len(), 2);
    for case in noted {
        let header = case
            .get("header")
            .and_then(json::Value::as_str)
            .expect("a header");
        let wpt = case
            .get("wpt_expected")
            .expect("the generator's expectation is kept");
        let parsed = parse(header);
        assert_eq!(parsed, expected_metrics(case), "{header:?}");
        assert_ne!(parsed, metrics(wpt), "{header:?}");
    }
}

fn expected_metrics(case: &json::Value) -> Vec<ParsedMetric> {
    metrics(case.get("expected").expect("a case has an expectation"))
}

fn metrics(list: &json::Value) -> Vec<ParsedMetric> {
    list.as_array()
        .expect("an expectation is an array")
        .iter()
        .map(|entry| ParsedMetric {
            name: entry
                .get("name")
                .and_then(json::Value::as_str)
                .expect("a name")
                .to_owned(),
            duration: entry
                .get("duration")
                .and_then(json::Value::as_f64)
                .expect("a duration"),
            description: entry
                .get("description")
                .and_then(json::Value::as_str)
                .expect("a description")
                .to_owned(),
        })
        .collect()
}

/// Just enough JSON (RFC 8259) for the vectors file: the test crate has no JSON dependency.
mod json {
    #[derive(Debug, PartialEq)]
    pub enum Value {
        Null,
        Bool(bool),
        Number(f64),
        String(String),
        Array(Vec<Value>),
        Object(Vec<(String, Value)>),
    }

    impl Value {
        pub fn as_array(&self) -> Option<&[Value]> {
            match self {
                Value::Array(items) => Some(items),
                _ => None,
            }
        }

        pub fn as_str(&self) -> Option<&str> {
            match self {
                Value::String(text) => Some(text),
                _ => None,
            }
        }

        pub fn as_f64(&self) -> Option<f64> {
            match self {
                Value::Number(number) => Some(*number),
                _ => None,
            }
        }

        pub fn get(&self, key: &str) -> Option<&Value> {
            match self {
                Value::Object(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
                _ => None,
            }
        }
    }

    pub fn parse(text: &str) -> Result<Value, String> {
        let mut reader = Reader {
            chars: text.chars().collect(),
            at: 0,
        };
        let value = reader.value()?;
        reader.whitespace();
        if reader.at != reader.chars.len() {
            return Err(format!("trailing input at {}", reader.at));
        }
        Ok(value)
    }

    struct Reader {
        chars: Vec<char>,
        at: usize,
    }

    impl Reader {
        fn peek(&self) -> Option<char> {
            self.chars.get(self.at).copied()
        }

        fn next(&mut self) -> Result<char, String> {
            let c = self.peek().ok_or("unexpected end")?;
            self.at += 1;
            Ok(c)
        }

        fn expect(&mut self, want: char) -> Result<(), String> {
            self.whitespace();
            match self.next()? {
                c if c == want => Ok(()),
                c => Err(format!("expected {want:?}, found {c:?} at {}", self.at - 1)),
            }
        }

        fn whitespace(&mut self) {
            while matches!(self.peek(), Some(' ' | '\t' | '\n' | '\r')) {
                self.at += 1;
            }
        }

        fn literal(&mut self, word: &str, value: Value) -> Result<Value, String> {
            for want in word.chars() {
                if self.next()? != want {
                    return Err(format!("bad literal at {}", self.at - 1));
                }
            }
            Ok(value)
        }

        fn value(&mut self) -> Result<Value, String> {
            self.whitespace();
            match self.peek().ok_or("unexpected end")? {
                '{' => self.object(),
                '[' => self.array(),
                '"' => self.string().map(Value::String),
                't' => self.literal("true", Value::Bool(true)),
                'f' => self.literal("false", Value::Bool(false)),
                'n' => self.literal("null", Value::Null),
                _ => self.number(),
            }
        }

        fn object(&mut self) -> Result<Value, String> {
            self.expect('{')?;
            let mut members = Vec::new();
            self.whitespace();
            if self.peek() == Some('}') {
                self.at += 1;
                return Ok(Value::Object(members));
            }
            loop {
                self.whitespace();
                let key = self.string()?;
                self.expect(':')?;
                members.push((key, self.value()?));
                self.whitespace();
                match self.next()? {
                    ',' => {}
                    '}' => return Ok(Value::Object(members)),
                    c => return Err(format!("expected , or }} in object, found {c:?}")),
                }
            }
        }

        fn array(&mut self) -> Result<Value, String> {
            self.expect('[')?;
            let mut items = Vec::new();
            self.whitespace();
            if self.peek() == Some(']') {
                self.at += 1;
                return Ok(Value::Array(items));
            }
            loop {
                items.push(self.value()?);
                self.whitespace();
                match self.next()? {
                    ',' => {}
                    ']' => return Ok(Value::Array(items)),
                    c => return Err(format!("expected , or ] in array, found {c:?}")),
                }
            }
        }

        fn string(&mut self) -> Result<String, String> {
            self.expect('"')?;
            let mut out = String::new();
            loop {
                match self.next()? {
                    '"' => return Ok(out),
                    '\\' => match self.next()? {
                        '"' => out.push('"'),
                        '\\' => out.push('\\'),
                        '/' => out.push('/'),
                        'b' => out.push('\u{8}'),
                        'f' => out.push('\u{c}'),
                        'n' => out.push('\n'),
                        'r' => out.push('\r'),
                        't' => out.push('\t'),
                        'u' => out.push(self.unicode_escape()?),
                        c => return Err(format!("bad escape \\{c}")),
                    },
                    c => out.push(c),
                }
            }
        }

        fn hex4(&mut self) -> Result<u32, String> {
            let mut code = 0;
            for _ in 0..4 {
                let digit = self.next()?.to_digit(16).ok_or("bad \\u escape")?;
                code = code * 16 + digit;
            }
            Ok(code)
        }

        fn unicode_escape(&mut self) -> Result<char, String> {
            let high = self.hex4()?;
            let code = if (0xd800..0xdc00).contains(&high) {
                if self.next()? != '\\' || self.next()? != 'u' {
                    return Err("lone surrogate".into());
                }
                let low = self.hex4()?;
                0x10000 + ((high - 0xd800) << 10) + (low.wrapping_sub(0xdc00) & 0x3ff)
            } else {
                high
            };
            char::from_u32(code).ok_or_else(|| "bad \\u escape".into())
        }

        fn number(&mut self) -> Result<Value, String> {
            let start = self.at;
            while matches!(self.peek(), Some('-' | '+' | '.' | 'e' | 'E' | '0'..='9')) {
                self.at += 1;
            }
            let text: String = self.chars[start..self.at].iter().collect();
            text.parse()
                .map(Value::Number)
                .map_err(|_| format!("bad number {text:?} at {start}"))
        }
    }

    #[test]
    fn reads_what_the_vectors_use() {
        assert_eq!(
            parse(r#" [ {"a": "x\"\\\t\u00e9\ud83d\ude00", "b": [1.5, -2e1, 0], "c": null, "d": true} ] "#),
            Ok(Value::Array(vec![Value::Object(vec![
                ("a".into(), Value::String("x\"\\\t\u{e9}\u{1f600}".into())),
                (
                    "b".into(),
                    Value::Array(vec![Value::Number(1.5), Value::Number(-20.0), Value::Number(0.0)])
                ),
                ("c".into(), Value::Null),
                ("d".into(), Value::Bool(true)),
            ])]))
        );
        assert!(parse("[1,]").is_err());
        assert!(parse("{\"a\" 1}").is_err());
    }
}
