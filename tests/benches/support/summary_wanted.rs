//! Whether a bench's `summary` is asked for. Criterion applies its filter and `--list` to
//! the benchmarks it registers; a summary times its own paired rounds and registers none, so
//! it reads the same command line the same way itself. Without this, `--list` (which
//! `valgrind` and IDEs run) and a filter for one benchmark both ran every summary.

use regex::Regex;

/// The name a summary answers to, as a benchmark's id does to criterion's filter.
const SUMMARY: &str = "summary";

/// Criterion's options that take a value: the next argument, unless given as `--name=value`.
const WITH_VALUE: &[&str] = &[
    "-c",
    "--color",
    "-s",
    "--save-baseline",
    "-b",
    "--baseline",
    "--baseline-lenient",
    "--format",
    "--profile-time",
    "--load-baseline",
    "--sample-size",
    "--warm-up-time",
    "--measurement-time",
    "--nresamples",
    "--noise-threshold",
    "--confidence-level",
    "--significance-level",
    "--plotting-backend",
    "--output-format",
];

/// Whether this run's arguments ask for the summary: no filter, or one that matches
/// `summary` as criterion matches an id (a regex, or the whole name with `--exact`). With
/// `--list` it is listed, as criterion lists a benchmark, and not run.
pub fn summary_wanted() -> bool {
    let mut args = std::env::args().skip(1);
    let (mut filter, mut exact, mut list) = (None, false, false);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--list" => list = true,
            "--exact" => exact = true,
            option if WITH_VALUE.contains(&option) => {
                args.next();
            }
            option if option.starts_with('-') => {}
            _ if filter.is_none() => filter = Some(arg),
            _ => {}
        }
    }
    if list {
        println!("{SUMMARY}: benchmark");
        return false;
    }
    match filter {
        None => true,
        Some(filter) if exact => filter == SUMMARY,
        // Criterion itself stops on a filter that is not a regex.
        Some(filter) => Regex::new(&filter).is_ok_and(|regex| regex.is_match(SUMMARY)),
    }
}
