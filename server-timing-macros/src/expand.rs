//! From a fn to the same fn, timed. Pure `proc_macro2`, so it can be tested without a compiler.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{ToTokens, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::visit_mut::VisitMut;
use syn::{Block, Expr, Item, ItemFn, LitStr, ReturnType, Stmt, Type, parse_quote, parse_quote_spanned};

use crate::args::{Args, check_name};

/// The attribute's whole expansion. On any error: the error, and the item exactly as written,
/// so that the user sees that one error and not a cascade from a missing fn.
pub(crate) fn server_timing(args: TokenStream, item: TokenStream) -> TokenStream {
    let result = syn::parse2::<Args>(args).and_then(|args| {
        let function = parse_fn(item.clone())?;
        expand(args, function)
    });
    match result {
        Ok(expanded) => expanded,
        Err(error) => {
            let mut out = error.to_compile_error();
            out.extend(item);
            out
        }
    }
}

fn parse_fn(item: TokenStream) -> syn::Result<ItemFn> {
    let item: Item = syn::parse2(item.clone()).map_err(|_| not_a_fn(first_span(&item), "this item"))?;
    let (span, what) = match item {
        Item::Fn(function) => {
            if let Some(constness) = function.sig.constness {
                return Err(syn::Error::new(
                    constness.span,
                    "`#[server_timing]` cannot time a `const fn`: reading the clock is not `const`",
                ));
            }
            return Ok(function);
        }
        // What syn leaves unparsed with a top-level `fn` is a fn without a body.
        Item::Verbatim(tokens) if fn_keyword(&tokens).is_some() => {
            return Err(syn::Error::new(
                fn_keyword(&tokens).unwrap_or_else(Span::call_site),
                "`#[server_timing]` needs a fn with a body: a required trait method or a fn in an \
                 `extern` block has nothing to time; put it on the trait's implementations, or on \
                 the Rust fn that calls the foreign one",
            ));
        }
        Item::Struct(i) => (i.struct_token.span, "a struct"),
        Item::Enum(i) => (i.enum_token.span, "an enum"),
        Item::Union(i) => (i.union_token.span, "a union"),
        Item::Const(i) => (i.const_token.span, "a const"),
        Item::Static(i) => (i.static_token.span, "a static"),
        Item::Mod(i) => (i.mod_token.span, "a module"),
        Item::Impl(i) => (i.impl_token.span, "an impl block (put it on each method to time)"),
        Item::Trait(i) => (i.trait_token.span, "a trait (put it on each method to time)"),
        Item::ForeignMod(i) => (i.abi.extern_token.span, "an extern block"),
        Item::Type(i) => (i.type_token.span, "a type alias"),
        Item::Use(i) => (i.use_token.span, "a use declaration"),
        other => (first_span(&other.to_token_stream()), "this item"),
    };
    Err(not_a_fn(span, what))
}

fn not_a_fn(span: Span, what: &str) -> syn::Error {
    syn::Error::new(span, format!("`#[server_timing]` goes on a fn, not on {what}"))
}

fn first_span(tokens: &TokenStream) -> Span {
    tokens
        .clone()
        .into_iter()
        .next()
        .map_or_else(Span::call_site, |t| t.span())
}

/// The span of a top-level `fn` keyword, if there is one.
fn fn_keyword(tokens: &TokenStream) -> Option<Span> {
    tokens
        .clone()
        .into_iter()
        .find(|t| matches!(t, TokenTree::Ident(i) if i == "fn"))
        .map(|t| t.span())
}

fn expand(args: Args, mut function: ItemFn) -> syn::Result<TokenStream> {
    // The attributes after this one are still on the fn: a second timer is one of them.
    if let Some(again) = function.attrs.iter().find(|attr| {
        attr.path()
            .segments
            .last()
            .is_some_and(|s| s.ident == "server_timing")
    }) {
        return Err(syn::Error::new_spanned(
            again,
            "`#[server_timing]` is on this fn twice: a fn has one timer. Remove one; to time a \
             part of the body under another name, use `server_timing_runtime::timer` inside it",
        ));
    }
    let name = match args.name {
        Some(name) => name,
        None => {
            let ident = function.sig.ident.unraw();
            let text = ident.to_string();
            check_name(&text, ident.span()).map_err(|_| {
                syn::Error::new(
                    ident.span(),
                    format!(
                        "the fn name `{text}` is not a valid Server-Timing metric name (an HTTP token); \
                         name the metric: `#[server_timing(\"my_name\")]`"
                    ),
                )
            })?;
            LitStr::new(&text, ident.span())
        }
    };
    let description = args
        .description
        .unwrap_or_else(|| LitStr::new("", Span::call_site()));
    let private = match args.krate {
        Some(path) => quote!(#path::__private),
        None => quote!(::server_timing_runtime::__private),
    };
    // A `static`, so that the runtime checks name and description when this compiles, and
    // tells this fn's recordings apart by the address.
    let site_ident = syn::Ident::new("__SERVER_TIMING_SITE", Span::mixed_site());
    let site = quote! {
        {
            static #site_ident: #private::CallSite = #private::CallSite::new(#name, #description);
            &#site_ident
        }
    };
    // Whether a returned value is an `Err(_)`: a constant `false` for any other type.
    let ret = syn::Ident::new("__server_timing_ret", Span::mixed_site());
    let failed = quote! {
        {
            #[allow(unused_imports)]
            use #private::NotAResult as _;
            #private::Check(#ret).failed()
        }
    };
    let check = quote!(|#ret| #failed);

    let body: TokenStream = if function.sig.asyncness.is_some() {
        let block = &function.block;
        let fake_return = fake_return_edge(&function.sig);
        // The user's statements go straight into the async block, not as a block in it (that
        // trips `unused_braces`), with the fake return after their leading items.
        let items = block
            .stmts
            .iter()
            .take_while(|stmt| matches!(stmt, Stmt::Item(_)))
            .count();
        let (items, rest) = block.stmts.split_at(items);
        let block = quote_spanned! {block.span()=> #(#items)* #fake_return #(#rest)* };
        if returns_never(&function.sig.output) {
            // `!` cannot be named in a `let`, so the block's output is `Infallible` and the
            // empty match turns it back into `!`.
            quote_spanned! {block.span()=>
                {
                    match #private::timed(#site, async move { #block }, #check).await {}
                }
            }
        } else {
            quote_spanned! {block.span()=>
                {
                    #private::timed(#site, async move { #block }, #check).await
                }
            }
        }
    } else if let Some(future) = async_tail(&mut function.block) {
        if let (Expr::Async(future), Some(output)) = (&mut *future, impl_future_output(&function.sig.output))
        {
            // A first statement, not a block around the user's: that would trip `unused_braces`.
            let fake_return = fake_return_of(output, output.span());
            future.block.stmts.insert(0, parse_quote!(#fake_return));
        }
        let original = future.clone();
        *future = parse_quote!(#private::timed(#site, #original, #check));
        function.block.to_token_stream()
    } else if returns_impl_future(&function.sig.output) {
        let block = &function.block;
        quote_spanned! {block.span()=>
            {
                #private::timed_call(#site, move || #block, #check)
            }
        }
    } else if let Some(output) = result_output(&function.sig.output) {
        // The value is needed to tell an `Err(_)`, so the body runs as a closure (whose
        // `return` and `?` leave the body as they left the fn), of the fn's return type.
        let mut output = output.clone();
        EraseImplTrait.visit_type_mut(&mut output);
        let block = &function.block;
        let guard = syn::Ident::new("__server_timing_guard", Span::mixed_site());
        quote_spanned! {block.span()=>
            {
                let #guard = #private::guard(#site);
                let #ret = #private::body::<#output, _>(move || #block);
                #guard.end({
                    let #ret = &#ret;
                    #failed
                });
                #ret
            }
        }
    } else {
        // A statement in the user's own block, not a block around it: a block around a
        // one-expression body trips `unused_braces`. It goes after the leading items (which are
        // not executed) so that clippy's `items_after_statements` stays quiet.
        let guard = syn::Ident::new("__server_timing_guard", Span::mixed_site());
        let start: Stmt = parse_quote_spanned! {function.block.span()=>
            let #guard = #private::guard(#site);
        };
        let items = function
            .block
            .stmts
            .iter()
            .take_while(|stmt| matches!(stmt, Stmt::Item(_)))
            .count();
        function.block.stmts.insert(items, start);
        function.block.to_token_stream()
    };

    let ItemFn { attrs, vis, sig, .. } = &function;
    Ok(quote! {
        #(#attrs)*
        #vis #sig
        #body
    })
}

/// The async block an already-desugared async fn returns: the tail `async move { .. }` or
/// `Box::pin(async move { .. })` (what `#[async_trait]` writes).
fn async_tail(block: &mut Block) -> Option<&mut Expr> {
    let Some(Stmt::Expr(tail, None)) = block.stmts.last_mut() else {
        return None;
    };
    match tail {
        Expr::Async(_) => Some(tail),
        Expr::Call(call) if call.args.len() == 1 && is_box_pin(&call.func) => match call.args.first_mut() {
            Some(arg @ Expr::Async(_)) => Some(arg),
            _ => None,
        },
        _ => None,
    }
}

fn is_box_pin(func: &Expr) -> bool {
    let Expr::Path(path) = func else { return false };
    let segments: Vec<_> = path.path.segments.iter().map(|s| s.ident.to_string()).collect();
    segments.ends_with(&["Box".to_owned(), "pin".to_owned()])
}

fn returns_impl_future(output: &ReturnType) -> bool {
    future_bound(output).is_some()
}

/// The `Future` bound of an `impl Future<..> + ..` return type.
fn future_bound(output: &ReturnType) -> Option<&syn::PathSegment> {
    let ReturnType::Type(_, ty) = output else {
        return None;
    };
    let Type::ImplTrait(impl_trait) = &**ty else {
        return None;
    };
    impl_trait.bounds.iter().find_map(|bound| match bound {
        syn::TypeParamBound::Trait(t) => t.path.segments.last().filter(|s| s.ident == "Future"),
        _ => None,
    })
}

/// `X` in a return type `impl Future<Output = X>`.
fn impl_future_output(output: &ReturnType) -> Option<&Type> {
    let syn::PathArguments::AngleBracketed(args) = &future_bound(output)?.arguments else {
        return None;
    };
    args.args.iter().find_map(|arg| match arg {
        syn::GenericArgument::AssocType(assoc) if assoc.ident == "Output" => Some(&assoc.ty),
        _ => None,
    })
}

/// The return type, if it looks like a `Result` (`Result<T, E>`, `io::Result<T>`, an alias
/// named `...Result`): only those get the closure that lets the value be checked. What it
/// really is, the type checker tells (see `Check`).
fn result_output(output: &ReturnType) -> Option<&Type> {
    let ReturnType::Type(_, ty) = output else {
        return None;
    };
    let Type::Path(path) = &**ty else { return None };
    let last = path.path.segments.last()?;
    last.ident.to_string().ends_with("Result").then_some(&**ty)
}

fn returns_never(output: &ReturnType) -> bool {
    matches!(output, ReturnType::Type(_, ty) if matches!(**ty, Type::Never(_)))
}

/// A never-taken `return` of the fn's return type inside the async block, so that the block's
/// output type is the fn's: inference then works for `?` and `return`, and a type error points
/// at the user's expression rather than at generated code. (The technique of
/// tracing-attributes.) Spanned on the return type, where rustc's "return type inferred to be
/// .. here" note then points.
fn fake_return_edge(sig: &syn::Signature) -> TokenStream {
    match &sig.output {
        ReturnType::Default => {
            let span = sig.paren_token.span.close();
            fake_return_of(&parse_quote_spanned!(span=> ()), span)
        }
        ReturnType::Type(_, ty) if matches!(**ty, Type::Never(_)) => fake_return_of(
            &parse_quote_spanned!(ty.span()=> ::core::convert::Infallible),
            ty.span(),
        ),
        ReturnType::Type(_, ty) => fake_return_of(ty, ty.span()),
    }
}

fn fake_return_of(ty: &Type, span: Span) -> TokenStream {
    let mut ty = ty.clone();
    EraseImplTrait.visit_type_mut(&mut ty);
    // The user's span (not a hygienic one): the note then reads as about the user's code. The
    // name is visible only inside this `if`.
    let fake = syn::Ident::new("__server_timing_fake_return", span);
    quote_spanned! {span=>
        #[allow(
            unknown_lints,
            unreachable_code,
            clippy::diverging_sub_expression,
            clippy::empty_loop,
            clippy::let_unit_value,
            clippy::let_with_type_underscore,
            clippy::needless_return,
            clippy::unreachable
        )]
        if false {
            let #fake: #ty = loop {};
            return #fake;
        }
    }
}

/// `impl Trait` may not be a `let` type: let inference fill it in.
struct EraseImplTrait;

impl VisitMut for EraseImplTrait {
    fn visit_type_mut(&mut self, ty: &mut Type) {
        if let Type::ImplTrait(impl_trait) = ty {
            *ty = Type::Infer(syn::TypeInfer {
                underscore_token: syn::Token![_](impl_trait.impl_token.span),
            });
            return;
        }
        syn::visit_mut::visit_type_mut(self, ty);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand_str(args: TokenStream, item: TokenStream) -> String {
        server_timing(args, item).to_string()
    }

    /// The call site the default expansion passes for metric `name` with `description`.
    fn site(name: &str, description: &str) -> String {
        let private = ":: server_timing_runtime :: __private";
        format!(
            "{{ static __SERVER_TIMING_SITE : {private} :: CallSite = {private} :: CallSite :: new \
             ({name:?} , {description:?}) ; & __SERVER_TIMING_SITE }}"
        )
    }

    #[test]
    fn sync_fns_get_a_guard() {
        let out = expand_str(
            quote!("db"),
            quote!(
                fn f() -> u8 {
                    1
                }
            ),
        );
        assert!(
            out.contains(&format!("__private :: guard ({})", site("db", ""))),
            "{out}"
        );
    }

    #[test]
    fn descriptions_go_into_the_call_site() {
        let out = expand_str(
            quote!("db", desc = "DB read"),
            quote!(
                fn f() {}
            ),
        );
        assert!(out.contains(&site("db", "DB read")), "{out}");
    }

    #[test]
    fn async_fns_are_wrapped_with_a_fake_return_edge() {
        let out = expand_str(
            quote!(),
            quote!(
                async fn load() -> Result<u8, ()> {
                    Ok(1)
                }
            ),
        );
        assert!(
            out.contains(&format!("timed ({} , async move", site("load", ""))),
            "{out}"
        );
        assert!(
            out.contains("__server_timing_fake_return : Result < u8 , () >"),
            "{out}"
        );
    }

    #[test]
    fn box_pin_async_tails_are_wrapped_in_place() {
        let out = expand_str(
            quote!(),
            quote!(
                fn f(&self) -> Pin<Box<dyn Future<Output = ()> + Send>> {
                    Box::pin(async move {})
                }
            ),
        );
        assert!(
            out.contains(&format!(
                "Box :: pin (:: server_timing_runtime :: __private :: timed ({} ,",
                site("f", "")
            )),
            "{out}"
        );
    }

    #[test]
    fn impl_trait_is_erased_in_the_fake_return() {
        let out = expand_str(
            quote!(),
            quote!(
                async fn f() -> impl Sized {
                    1
                }
            ),
        );
        assert!(out.contains("__server_timing_fake_return : _"), "{out}");
    }

    #[test]
    fn never_returning_async_fns_complete_through_infallible() {
        let out = expand_str(
            quote!(),
            quote!(
                async fn f() -> ! {
                    loop {}
                }
            ),
        );
        assert!(
            out.contains("__server_timing_fake_return : :: core :: convert :: Infallible"),
            "{out}"
        );
        assert!(out.contains("match :: server_timing_runtime"), "{out}");
    }

    #[test]
    fn impl_future_async_tails_get_the_output_as_fake_return() {
        let out = expand_str(
            quote!(),
            quote!(
                fn f() -> impl Future<Output = u32> + Send {
                    async move { 1 }
                }
            ),
        );
        assert!(
            out.contains(&format!("timed ({} , async move {{ # [allow", site("f", ""))),
            "{out}"
        );
        assert!(out.contains("__server_timing_fake_return : u32"), "{out}");
    }

    #[test]
    fn impl_future_bodies_that_are_not_async_blocks_are_timed_after_construction() {
        let out = expand_str(
            quote!(),
            quote!(
                fn f() -> impl Future<Output = u32> {
                    std::future::ready(1)
                }
            ),
        );
        assert!(
            out.contains(&format!("timed_call ({} , move ||", site("f", ""))),
            "{out}"
        );
    }

    #[test]
    fn sync_fns_returning_a_result_run_their_body_as_a_closure_whose_value_is_checked() {
        let out = expand_str(
            quote!(),
            quote!(
                fn f() -> io::Result<u8> {
                    Ok(1)
                }
            ),
        );
        assert!(
            out.contains("body :: < io :: Result < u8 > , _ > (move ||"),
            "{out}"
        );
        assert!(out.contains("Check (__server_timing_ret) . failed ()"), "{out}");
        let plain = expand_str(
            quote!(),
            quote!(
                fn f() -> Option<u8> {
                    None
                }
            ),
        );
        assert!(!plain.contains("body ::"), "{plain}");
    }

    #[test]
    fn futures_are_checked_when_they_complete() {
        let out = expand_str(
            quote!(),
            quote!(
                async fn f() -> u8 {
                    1
                }
            ),
        );
        assert!(out.contains(", | __server_timing_ret |"), "{out}");
    }

    #[test]
    fn a_second_attribute_on_the_same_fn_is_an_error() {
        let out = expand_str(
            quote!("a"),
            quote!(
                #[server_timing("b")]
                fn f() {}
            ),
        );
        assert!(out.contains("compile_error"), "{out}");
        assert!(out.contains("twice"), "{out}");
    }

    #[test]
    fn raw_identifiers_are_unraw() {
        let out = expand_str(
            quote!(),
            quote!(
                fn r#match() {}
            ),
        );
        assert!(out.contains("CallSite :: new (\"match\" , \"\")"), "{out}");
    }

    #[test]
    fn errors_keep_the_item() {
        let out = expand_str(
            quote!("a b"),
            quote!(
                fn f() {}
            ),
        );
        assert!(out.contains("compile_error"), "{out}");
        assert!(out.ends_with("fn f () { }"), "{out}");
    }

    #[test]
    fn crate_paths_replace_the_default() {
        let out = expand_str(
            quote!("x", crate = my::rt),
            quote!(
                fn f() {}
            ),
        );
        assert!(out.contains("my :: rt :: __private :: guard"), "{out}");
    }
}
