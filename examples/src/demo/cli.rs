//! The demo binary's command line: which port to listen on.

/// The port the demo listens on unless told otherwise.
///
/// ```
/// use server_timing_examples::demo::cli::{parse, Command, DEFAULT_PORT};
/// assert_eq!(parse(Vec::new(), None), Ok(Command::Serve(DEFAULT_PORT)));
/// ```
pub const DEFAULT_PORT: u16 = 8080;

/// How to call the demo binary.
///
/// ```
/// assert!(server_timing_examples::demo::cli::USAGE.contains("--port"));
/// ```
pub const USAGE: &str = "\
usage: demo [--port N]

Serves the Server-Timing demo on http://127.0.0.1:N/ (default 8080; also the PORT environment
variable; --port wins). Port 0 picks a free port; the address is printed once listening.";

/// What the command line asks for.
///
/// ```
/// use server_timing_examples::demo::cli::{parse, Command};
/// assert_eq!(parse(vec!["--help".to_owned()], None), Ok(Command::Help));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// Serve on this port.
    Serve(u16),
    /// Print [`USAGE`].
    Help,
}

/// Read `args` (without the program name) and the `PORT` environment variable's value.
///
/// ```
/// use server_timing_examples::demo::cli::{parse, Command};
/// let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
/// assert_eq!(parse(args(&[]), None), Ok(Command::Serve(8080)));
/// assert_eq!(parse(args(&["--port", "0"]), Some("9000".into())), Ok(Command::Serve(0)));
/// assert_eq!(parse(args(&[]), Some("9000".into())), Ok(Command::Serve(9000)));
/// assert!(parse(args(&["--port", "http"]), None).is_err());
/// ```
pub fn parse(args: impl IntoIterator<Item = String>, env_port: Option<String>) -> Result<Command, String> {
    let mut port = None;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let value = match arg.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "-p" | "--port" => args.next().ok_or_else(|| format!("{arg} needs a value"))?,
            other => match other.strip_prefix("--port=") {
                Some(value) => value.to_owned(),
                None => return Err(format!("unexpected argument {other:?}")),
            },
        };
        port = Some(port_number(&value, "--port")?);
    }
    match (port, env_port) {
        (Some(port), _) => Ok(Command::Serve(port)),
        (None, Some(value)) => Ok(Command::Serve(port_number(&value, "PORT")?)),
        (None, None) => Ok(Command::Serve(DEFAULT_PORT)),
    }
}

fn port_number(value: &str, from: &str) -> Result<u16, String> {
    value
        .trim()
        .parse()
        .map_err(|_| format!("{from}: {value:?} is not a port number (0 to 65535)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str], env: Option<&str>) -> Result<Command, String> {
        parse(args.iter().map(|s| (*s).to_owned()), env.map(str::to_owned))
    }

    #[test]
    fn the_flag_wins_over_the_environment_which_wins_over_the_default() {
        assert_eq!(run(&[], None), Ok(Command::Serve(DEFAULT_PORT)));
        assert_eq!(run(&[], Some("9001")), Ok(Command::Serve(9001)));
        assert_eq!(run(&["--port", "9002"], Some("9001")), Ok(Command::Serve(9002)));
        assert_eq!(run(&["--port=9003"], None), Ok(Command::Serve(9003)));
        assert_eq!(run(&["-p", "0"], None), Ok(Command::Serve(0)));
    }

    #[test]
    fn bad_input_is_an_error_not_a_default() {
        assert!(run(&["--port"], None).is_err());
        assert!(run(&["--port", "65536"], None).is_err());
        assert!(run(&["--port", "-1"], None).is_err());
        assert!(run(&[], Some("eighty")).is_err());
        assert!(run(&["--verbose"], None).is_err());
    }

    #[test]
    fn help_is_asked_for() {
        assert_eq!(run(&["--help"], None), Ok(Command::Help));
        assert_eq!(run(&["--port", "1", "-h"], None), Ok(Command::Help));
    }
}
