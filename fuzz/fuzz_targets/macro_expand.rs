//! Arbitrary token streams into `#[server_timing]`'s expansion, which is pure `proc_macro2`:
//! the first line of the input is the attribute's arguments, the rest the item. It never
//! panics, and gives either the item timed (the same attributes, visibility and signature, one
//! call site whose name and description the runtime accepts) or `compile_error!`s followed by
//! the item exactly as written.

#![no_main]

// The macro crate's own modules, compiled into this binary: a proc-macro crate cannot be
// called outside the compiler, and its expansion needs nothing but syn, quote and proc-macro2.
#[path = "../../server-timing-macros/src/args.rs"]
mod args;
#[path = "../../server-timing-macros/src/expand.rs"]
mod expand;

use std::str::FromStr;

use libfuzzer_sys::fuzz_target;
use proc_macro2::{Delimiter, TokenStream, TokenTree};
use quote::ToTokens;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{ItemFn, LitStr, Token};

use server_timing_runtime::{is_token, MAX_DESCRIPTION_LEN, MAX_NAME_LEN};

/// The `(name, description)` of every `CallSite::new(..)` in `tokens`.
fn call_sites(tokens: TokenStream, found: &mut Vec<(String, String)>) {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    for (at, token) in tokens.iter().enumerate() {
        let TokenTree::Group(group) = token else { continue };
        let after_new = at >= 4
            && matches!(&tokens[at - 1], TokenTree::Ident(i) if i == "new")
            && matches!(&tokens[at - 4], TokenTree::Ident(i) if i == "CallSite");
        if after_new && group.delimiter() == Delimiter::Parenthesis {
            let literals = Punctuated::<LitStr, Token![,]>::parse_terminated
                .parse2(group.stream())
                .expect("a call site takes two string literals");
            let literals: Vec<String> = literals.iter().map(LitStr::value).collect();
            assert_eq!(literals.len(), 2, "{group}");
            found.push((literals[0].clone(), literals[1].clone()));
        } else {
            call_sites(group.stream(), found);
        }
    }
}

/// `tokens` without its leading `::core::compile_error! { .. }` invocations, if it has any.
fn after_compile_errors(tokens: TokenStream) -> Option<String> {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    let mut at = 0;
    while tokens.len() >= at + 8 && matches!(&tokens[at + 5], TokenTree::Ident(i) if i == "compile_error") {
        at += 8;
    }
    (at > 0).then(|| tokens[at..].iter().cloned().collect::<TokenStream>().to_string())
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (args, item) = text.split_once('\n').unwrap_or((text, ""));
    let (Ok(args), Ok(item)) = (TokenStream::from_str(args), TokenStream::from_str(item)) else {
        return;
    };
    let out = expand::server_timing(args, item.clone());

    if let Some(rest) = after_compile_errors(out.clone()) {
        assert_eq!(rest, item.to_string(), "the item is kept as written");
        return;
    }
    let timed: ItemFn = syn::parse2(out.clone()).unwrap_or_else(|e| panic!("not a fn ({e}): {out}"));
    let original: ItemFn = syn::parse2(item).expect("only a fn expands without an error");
    let (timed_attrs, original_attrs) = (&timed.attrs, &original.attrs);
    assert_eq!(
        quote::quote!(#(#timed_attrs)*).to_string(),
        quote::quote!(#(#original_attrs)*).to_string()
    );
    let (timed_vis, original_vis) = (&timed.vis, &original.vis);
    assert_eq!(
        quote::quote!(#timed_vis).to_string(),
        quote::quote!(#original_vis).to_string()
    );
    let (timed_sig, original_sig) = (&timed.sig, &original.sig);
    assert_eq!(
        quote::quote!(#timed_sig).to_string(),
        quote::quote!(#original_sig).to_string()
    );

    // The user's own body may build call sites too: the expansion adds exactly one.
    let mut sites = Vec::new();
    call_sites(out.clone(), &mut sites);
    let mut written = Vec::new();
    call_sites(original.to_token_stream(), &mut written);
    for site in &written {
        let at = sites.iter().position(|s| s == site).expect("the body is kept");
        sites.remove(at);
    }
    assert_eq!(sites.len(), 1, "{out}");
    let (name, description) = &sites[0];
    assert!(is_token(name) && name.len() <= MAX_NAME_LEN, "{name:?}");
    assert!(description.len() <= MAX_DESCRIPTION_LEN, "{description:?}");
    assert!(
        description.bytes().all(|b| (0x20..0x7f).contains(&b)),
        "{description:?}"
    );
});
