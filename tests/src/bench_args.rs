//! How a bench's `summary` reads criterion's command line. Criterion applies its filter and
//! `--list` to the benchmarks it registers; a summary times its own paired rounds and
//! registers none, so it reads the same command line the same way itself. Without this,
//! `--list` (which `valgrind` and IDEs run) and a filter for one benchmark both ran every
//! summary.

use regex::Regex;

/// The name a summary answers to, as a benchmark's id does to criterion's filter.
pub const SUMMARY: &str = "summary";

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

/// What a bench's arguments (without the program's name) ask of its summary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Summary {
    /// Run it: no filter, or one that matches [`SUMMARY`] as criterion matches an id (a
    /// regex, or the whole name with `--exact`).
    Run,
    /// Only name it, as criterion lists a benchmark: `--list`.
    List,
    /// Neither: the filter is for other benchmarks.
    Skip,
}

impl Summary {
    /// ```
    /// use server_timing_tests::bench_args::Summary;
    ///
    /// assert_eq!(Summary::from_args(["--bench", "summary"]), Summary::Run);
    /// assert_eq!(Summary::from_args(["--bench", "trace_context/fresh"]), Summary::Skip);
    /// ```
    pub fn from_args<I>(args: I) -> Summary
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let mut args = args.into_iter();
        let (mut filter, mut exact, mut list) = (None, false, false);
        while let Some(arg) = args.next() {
            match arg.as_ref() {
                "--list" => list = true,
                "--exact" => exact = true,
                option if WITH_VALUE.contains(&option) => {
                    args.next();
                }
                option if option.starts_with('-') => {}
                positional if filter.is_none() => filter = Some(positional.to_owned()),
                _ => {}
            }
        }
        let matches = match filter {
            None => true,
            Some(filter) if exact => filter == SUMMARY,
            // Criterion itself stops on a filter that is not a regex.
            Some(filter) => Regex::new(&filter).is_ok_and(|regex| regex.is_match(SUMMARY)),
        };
        match (list, matches) {
            (true, _) => Summary::List,
            (false, true) => Summary::Run,
            (false, false) => Summary::Skip,
        }
    }
}

/// Whether this bench's command line asks for its summary to run; with `--list` it prints
/// the summary's line of the list instead, as criterion prints a benchmark's.
///
/// ```no_run
/// if !server_timing_tests::bench_args::summary_wanted() {
///     return;
/// }
/// ```
pub fn summary_wanted() -> bool {
    match Summary::from_args(std::env::args().skip(1)) {
        Summary::Run => true,
        Summary::List => {
            println!("{SUMMARY}: benchmark");
            false
        }
        Summary::Skip => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(args: &[&str]) -> Summary {
        Summary::from_args(args)
    }

    #[test]
    fn a_summary_follows_the_filter_as_a_benchmark_would() {
        assert_eq!(of(&[]), Summary::Run);
        assert_eq!(of(&["--bench"]), Summary::Run);
        assert_eq!(of(&["--bench", "summary"]), Summary::Run);
        assert_eq!(of(&["--bench", "sum"]), Summary::Run);
        assert_eq!(of(&["--bench", "^summary$"]), Summary::Run);
        assert_eq!(of(&["--bench", "trace_context/fresh"]), Summary::Skip);
        assert_eq!(of(&["--bench", "--exact", "summary"]), Summary::Run);
        assert_eq!(of(&["--bench", "--exact", "sum"]), Summary::Skip);
        assert_eq!(of(&["--bench", "(unclosed"]), Summary::Skip);
    }

    #[test]
    fn option_values_are_not_taken_for_the_filter() {
        assert_eq!(
            of(&["--bench", "--measurement-time", "3", "summary"]),
            Summary::Run
        );
        assert_eq!(of(&["--bench", "--save-baseline", "main"]), Summary::Run);
        assert_eq!(of(&["--bench", "-b", "main", "header"]), Summary::Skip);
        assert_eq!(of(&["--bench", "--sample-size=20", "header"]), Summary::Skip);
    }

    #[test]
    fn list_names_it_instead_of_running_it() {
        assert_eq!(of(&["--bench", "--list"]), Summary::List);
        assert_eq!(of(&["--list", "--format", "terse"]), Summary::List);
    }
}
