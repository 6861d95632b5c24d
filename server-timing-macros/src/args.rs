//! The attribute's arguments: `("name", desc = "...", crate = path)`.

use proc_macro2::Span;
use syn::parse::{Parse, ParseStream};
use syn::{LitStr, Path, Token};

/// What one may write inside `#[server_timing(...)]`, checked.
#[derive(Default)]
pub(crate) struct Args {
    pub(crate) name: Option<LitStr>,
    pub(crate) description: Option<LitStr>,
    pub(crate) krate: Option<Path>,
}

const KNOWN_KEYS: &str = "`desc` or `crate`";

/// The longest name and description the runtime keeps; the attribute refuses longer ones
/// rather than letting them be cut silently.
const MAX_NAME_LEN: usize = 64;
const MAX_DESCRIPTION_LEN: usize = 256;

impl Parse for Args {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut args = Args::default();
        if input.peek(LitStr) {
            let name: LitStr = input.parse()?;
            check_name(&name.value(), name.span())?;
            args.name = Some(name);
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
        while !input.is_empty() {
            if input.peek(LitStr) {
                let extra: LitStr = input.parse()?;
                return Err(syn::Error::new(
                    extra.span(),
                    match args.name {
                        Some(_) => "the metric name is already given; a metric has one name",
                        None => "the metric name comes first: `#[server_timing(\"name\", desc = \"...\")]`",
                    },
                ));
            }
            if input.peek(Token![crate]) {
                let key: Token![crate] = input.parse()?;
                input.parse::<Token![=]>()?;
                if args.krate.is_some() {
                    return Err(syn::Error::new(key.span, "`crate` is set twice"));
                }
                args.krate = Some(parse_path(input)?);
            } else if input.peek(syn::Ident) {
                let key: syn::Ident = input.parse()?;
                if key != "desc" {
                    let hint = if args.name.is_none() && !input.peek(Token![=]) {
                        format!("expected the metric name as a string literal, e.g. `#[server_timing(\"{key}\")]`")
                    } else {
                        format!("unknown argument `{key}`: expected {KNOWN_KEYS}")
                    };
                    return Err(syn::Error::new(key.span(), hint));
                }
                input.parse::<Token![=]>()?;
                if args.description.is_some() {
                    return Err(syn::Error::new(key.span(), "`desc` is set twice"));
                }
                let description = input.parse::<syn::Lit>()?;
                let syn::Lit::Str(description) = description else {
                    return Err(syn::Error::new(
                        description.span(),
                        "`desc` takes a string literal; for text built at run time use `server_timing_runtime::describe`",
                    ));
                };
                check_description(&description.value(), description.span())?;
                args.description = Some(description);
            } else {
                let found: proc_macro2::TokenTree = input.parse()?;
                return Err(syn::Error::new(
                    found.span(),
                    if args.name.is_none() && args.description.is_none() && args.krate.is_none() {
                        "expected the metric name as a string literal, e.g. `#[server_timing(\"db\")]`"
                            .to_owned()
                    } else {
                        format!("expected {KNOWN_KEYS}")
                    },
                ));
            }
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
        Ok(args)
    }
}

fn parse_path(input: ParseStream<'_>) -> syn::Result<Path> {
    if input.peek(LitStr) {
        let lit: LitStr = input.parse()?;
        return Err(syn::Error::new(
            lit.span(),
            "`crate` takes a path, not a string: `crate = my_crate::server_timing_runtime`",
        ));
    }
    input.call(Path::parse_mod_style).map_err(|e| {
        syn::Error::new(
            e.span(),
            "`crate` takes a path to the runtime crate, e.g. `crate = my_crate::server_timing_runtime`",
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
        return Err(syn::Error::new(span, "a metric name cannot be empty"));
    }
    if let Some(bad) = name.chars().find(|&c| !(c.is_ascii() && is_tchar(c as u8))) {
        return Err(syn::Error::new(
            span,
            format!(
                "{name:?} is not a valid Server-Timing metric name: {bad:?} is not allowed. \
                 A name is an HTTP token: ASCII letters, digits and !#$%&'*+-.^_`|~"
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
