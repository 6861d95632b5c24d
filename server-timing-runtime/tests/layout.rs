//! The runtime's source keeps the layout its architecture promises: each top-level module
//! imports only the layers below it (so there is no cycle), nothing below the crate root
//! reaches back up into it, no source file grows past 600 lines, every file opens with a
//! comment on what it is for, and nothing is re-exported by a glob.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// The top-level modules, bottom layer first. A module may name only those of a lower rank.
const LAYERS: [(&str, u8); 7] = [
    ("options", 0),
    ("header", 1),
    ("trace", 2),
    ("collector", 3),
    ("client", 4),
    ("export", 4),
    ("server", 5),
];

const MAX_LINES: usize = 600;

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir).expect("a source folder") {
        let path = entry.expect("a folder entry").path();
        if path.is_dir() {
            found.extend(sources(&path));
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            found.push(path);
        }
    }
    found
}

/// The top-level module a file belongs to (`None` for the crate root).
fn module_of(file: &Path) -> Option<String> {
    let relative = file.strip_prefix(src()).expect("under src");
    let first = relative.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (name != "lib").then(|| name.to_owned())
}

/// What a source text names after `crate::`, with the line of each: the first segment of every
/// path, those inside a `crate::{...}` group included, however many lines the group spans.
/// `$crate::` (a macro's own crate) and comment lines are not read.
fn named(text: &str) -> Vec<(usize, String)> {
    // Comment lines blanked, so that positions still give line numbers.
    let code: String = text
        .lines()
        .map(|line| {
            if line.trim_start().starts_with("//") {
                ""
            } else {
                line
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let line_at = |at: usize| code[..at].matches('\n').count() + 1;
    let mut names = Vec::new();
    let mut from = 0;
    while let Some(found) = code[from..].find("crate::") {
        let at = from + found;
        from = at + "crate::".len();
        let before = &code[..at];
        if before.ends_with('$') || before.ends_with(|c: char| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let rest = &code[from..];
        let Some(group) = rest.strip_prefix('{') else {
            names.push((line_at(at), first_segment(rest)));
            continue;
        };
        let mut depth = 0;
        let mut item = String::new();
        for c in group.chars() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => break,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    names.push((line_at(at), first_segment(&item)));
                    item.clear();
                    continue;
                }
                _ => {}
            }
            item.push(c);
        }
        names.push((line_at(at), first_segment(&item)));
    }
    names.retain(|(_, name)| !name.is_empty());
    names
}

/// The names alone, for the reader's own test.
fn names_in(text: &str) -> Vec<String> {
    named(text).into_iter().map(|(_, name)| name).collect()
}

fn first_segment(path: &str) -> String {
    path.trim()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

fn rank(module: &str) -> Option<u8> {
    LAYERS
        .iter()
        .find(|(name, _)| *name == module)
        .map(|(_, rank)| *rank)
}

#[test]
fn every_top_level_module_is_a_layer() {
    let found: BTreeSet<String> = sources(&src()).iter().filter_map(|f| module_of(f)).collect();
    let listed: BTreeSet<String> = LAYERS.iter().map(|(name, _)| (*name).to_owned()).collect();
    assert_eq!(found, listed, "the top-level modules and the layers listed here");
}

#[test]
fn modules_import_only_the_layers_below_them() {
    let mut wrong = Vec::new();
    for file in sources(&src()) {
        let Some(module) = module_of(&file) else {
            continue;
        };
        let own = rank(&module).expect("a listed layer");
        let text = fs::read_to_string(&file).expect("a source file");
        for (line, name) in named(&text) {
            if name == module {
                continue;
            }
            match rank(&name) {
                Some(other) if other < own => {}
                _ => wrong.push(format!(
                    "{}:{line}: `{module}` names `crate::{name}`",
                    file.display()
                )),
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports that do not run downward:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn no_source_file_is_over_600_lines() {
    let long: Vec<String> = sources(&src())
        .into_iter()
        .filter_map(|file| {
            let lines = fs::read_to_string(&file).expect("a source file").lines().count();
            (lines > MAX_LINES).then(|| format!("{}: {lines} lines", file.display()))
        })
        .collect();
    assert!(long.is_empty(), "over {MAX_LINES} lines:\n{}", long.join("\n"));
}

#[test]
fn every_source_file_opens_with_what_it_is_for() {
    let bare: Vec<String> = sources(&src())
        .into_iter()
        .filter(|file| {
            let text = fs::read_to_string(file).expect("a source file");
            !text.lines().next().is_some_and(|line| line.starts_with("//! "))
        })
        .map(|file| file.display().to_string())
        .collect();
    assert!(bare.is_empty(), "no opening `//!` comment:\n{}", bare.join("\n"));
}

#[test]
fn nothing_is_re_exported_by_a_glob() {
    let globs: Vec<String> = sources(&src())
        .into_iter()
        .flat_map(|file| {
            let text = fs::read_to_string(&file).expect("a source file");
            text.lines()
                .enumerate()
                .filter(|(_, line)| {
                    let line = line.trim_start();
                    line.starts_with("pub use") && line.contains("::*")
                })
                .map(|(number, line)| format!("{}:{}: {}", file.display(), number + 1, line.trim()))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(globs.is_empty(), "glob re-exports:\n{}", globs.join("\n"));
}

#[test]
fn the_import_reader_sees_every_form_of_path() {
    assert_eq!(names_in("use crate::header::write;"), ["header"]);
    assert_eq!(
        names_in("use crate::{collector::record, trace::{self, TraceParent}};"),
        ["collector", "trace"]
    );
    assert_eq!(
        names_in("    let x = crate::options::Options::new();"),
        ["options"]
    );
    assert_eq!(
        names_in("use crate::{Completed, DEFAULT_TOTAL_NAME};"),
        ["Completed", "DEFAULT_TOTAL_NAME"]
    );
    // A group as rustfmt breaks a long one, each name with the line its group starts on.
    assert_eq!(
        named("//! doc\nuse crate::{\n    collector::record,\n    server::http,\n};\n"),
        [(2, "collector".to_owned()), (2, "server".to_owned())]
    );
    assert!(names_in("/// [`record`](crate::record)").is_empty());
    assert!(names_in("pub fn f(o: $crate::Options) {}").is_empty());
    assert!(names_in("use other_crate::thing;").is_empty());
}
