//! The attribute's arguments: `("name", desc = "...", crate = path)`.

use proc_macro2::{Span, TokenStream, TokenTree};
use syn::parse::{Parse, ParseStream, Parser};
use syn::{LitStr, Path, Token};

/// What one may write inside `#[server_timing(...)]`, checked.
#[derive(Default)]
pub(crate) struct Args {
    pub(crate) name: Option<LitStr>,
    pub(crate) description: Option<LitStr>,
    pub(crate) krate: Option<Path>,
}

const KNOWN_KEYS: &str = "`desc = \"...\"`, `crate = path`";

/// The longest name and description the runtime keeps; the attribute refuses longer ones
/// rather than letting them be cut silently.
const MAX_NAME_LEN: usize = 64;
const MAX_DESCRIPTION_LEN: usize = 256;

impl Parse for Args {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut args = Args::default();
        let mut first = true;
        while !input.is_empty() {
            if !first {
                input.parse::<Token![,]>()?;
                if input.is_empty() {
                    break;
                }
            }
            first = false;
            if input.peek(LitStr) {
                let name: LitStr = input.parse()?;
                if args.name.is_some() {
                    return Err(syn::Error::new(
                        name.span(),
                        "the metric name is already given; a metric has one name",
                    ));
                }
                if args.description.is_some() || args.krate.is_some() {
                    return Err(syn::Error::new(
                        name.span(),
                        "the metric name comes first: `#[server_timing(\"name\", desc = \"...\")]`",
                    ));
                }
                check_name(&name.value(), name.span())?;
                args.name = Some(name);
            } else if input.peek(Token![crate]) {
                let key: Token![crate] = input.parse()?;
                if !input.peek(Token![=]) {
                    return Err(missing_value(key.span, "crate = my_crate::server_timing_runtime"));
                }
                let equals = input.parse::<Token![=]>()?;
                if args.krate.is_some() {
                    return Err(syn::Error::new(key.span, "`crate` is set twice"));
                }
                args.krate = Some(parse_path(value_tokens(input), equals.span)?);
            } else if input.peek(syn::Ident) && input.peek2(Token![=]) {
                let key: syn::Ident = input.parse()?;
                if key != "desc" {
                    let hint = if key == "name" {
                        format!(
                            "unknown argument `name`: the name is written first, alone: \
                             `#[server_timing(\"db\")]`; the known arguments are {KNOWN_KEYS}"
                        )
                    } else {
                        format!("unknown argument `{key}`; the known arguments are {KNOWN_KEYS}")
                    };
                    return Err(syn::Error::new(key.span(), hint));
                }
                let equals = input.parse::<Token![=]>()?;
                if args.description.is_some() {
                    return Err(syn::Error::new(key.span(), "`desc` is set twice"));
                }
                let description = parse_description(value_tokens(input), equals.span)?;
                check_description(&description.value(), description.span())?;
                args.description = Some(description);
            } else {
                let found: TokenTree = input.parse()?;
                let nothing_yet = args.name.is_none() && args.description.is_none() && args.krate.is_none();
                let message = match &found {
                    TokenTree::Ident(key) if key == "desc" => {
                        return Err(missing_value(key.span(), "desc = \"DB read\""));
                    }
                    TokenTree::Ident(word) if nothing_yet => format!(
                        "expected the metric name as a string literal: `#[server_timing(\"{word}\")]`"
                    ),
                    _ if nothing_yet => format!(
                        "expected the metric name as a string literal (`#[server_timing(\"db\")]`) \
                         or a known argument: {KNOWN_KEYS}"
                    ),
                    _ => format!("expected a known argument: {KNOWN_KEYS}"),
                };
                return Err(syn::Error::new(found.span(), message));
            }
        }
        Ok(args)
    }
}

/// A key written without `= value`: the error is on the key and shows the whole form.
fn missing_value(key: Span, example: &str) -> syn::Error {
    syn::Error::new(key, format!("expected `=` and a value: `{example}`"))
}

/// The tokens of one value: everything up to the next top-level `,`.
fn value_tokens(input: ParseStream<'_>) -> TokenStream {
    let mut tokens = TokenStream::new();
    while !input.peek(Token![,]) {
        let Ok(token) = input.parse::<TokenTree>() else {
            break;
        };
        tokens.extend([token]);
    }
    tokens
}

/// An error spanned on a value, or on the `=` before it when the value is missing.
fn value_error(value: &TokenStream, equals: Span, message: &str) -> syn::Error {
    if value.is_empty() {
        syn::Error::new(equals, message)
    } else {
        syn::Error::new_spanned(value, message)
    }
}

fn parse_description(value: TokenStream, equals: Span) -> syn::Result<LitStr> {
    syn::parse2::<LitStr>(value.clone()).map_err(|_| {
        value_error(
            &value,
            equals,
            "`desc` takes a string literal; for a description built at run time use \
             `server_timing_runtime::describe` or `server_timing_runtime::timer(..).description(..)`",
        )
    })
}

fn parse_path(value: TokenStream, equals: Span) -> syn::Result<Path> {
    if let Ok(lit) = syn::parse2::<LitStr>(value.clone()) {
        return Err(syn::Error::new(
            lit.span(),
            "`crate` takes a path, not a string: `crate = my_crate::server_timing_runtime`",
        ));
    }
    Path::parse_mod_style.parse2(value.clone()).map_err(|_| {
        value_error(
            &value,
            equals,
            "`crate` takes a path to the runtime crate (or a module re-exporting it), \
             e.g. `crate = my_crate::server_timing_runtime`",
        )
    })
}

fn is_tchar(byte: u8) -> bool {
    byte.is_ascii_alphanumeric()
        || matches!(
            byte,
            b'!' | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'-'
                | b'.'
                | b'^'
                | b'_'
                | b'`'
                | b'|'
                | b'~'
        )
}

/// A metric name must be an RFC 9110 token, which browsers and proxies accept unquoted.
pub(crate) fn check_name(name: &str, span: Span) -> syn::Result<()> {
    if name.is_empty() {
        return Err(syn::Error::new(
            span,
            "a metric name cannot be empty; leave the name out to use the fn's own: `#[server_timing]`",
        ));
    }
    if let Some(bad) = name.chars().find(|&c| !(c.is_ascii() && is_tchar(c as u8))) {
        return Err(syn::Error::new(
            span,
            format!(
                "{name:?} is not a valid Server-Timing metric name: {bad:?} is not allowed. \
                 A name is an HTTP token: ASCII letters, digits and !#$%&'*+-.^_`|~ \
                 (put free text in `desc = \"...\"`)"
            ),
        ));
    }
    if name.len() > MAX_NAME_LEN {
        return Err(syn::Error::new(
            span,
            format!(
                "a metric name is at most {MAX_NAME_LEN} characters; this one has {}",
                name.len()
            ),
        ));
    }
    Ok(())
}

fn check_description(description: &str, span: Span) -> syn::Result<()> {
    if let Some(bad) = description.chars().find(|c| !(' '..='~').contains(c)) {
        let what = if bad.is_control() {
            "a control character"
        } else {
            "a non-ASCII character"
        };
        return Err(syn::Error::new(
            span,
            format!(
                "`desc` holds {what} ({bad:?}), which a header cannot carry as is: use printable ASCII, \
                 or record dynamic text at run time with `server_timing_runtime::describe`, which sanitizes it"
            ),
        ));
    }
    if description.len() > MAX_DESCRIPTION_LEN {
        return Err(syn::Error::new(
            span,
            format!(
                "`desc` is at most {MAX_DESCRIPTION_LEN} characters; this one has {}",
                description.len()
            ),
        ));
    }
    Ok(())
}
