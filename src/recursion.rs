//! Static analysis of the loaded policies over regorus's typed AST, in one walk: recursion
//! between rules and functions, which OPA rejects at compile time and which regorus's
//! interpreter does not survive (it recurses until the process aborts), and the calls to
//! functions that no policy defines ([`analyze`]; [`crate::calls`] decides which of those
//! are allowed builtins).
//!
//! [`find_cycles`] builds the graph "rule or function → rules and functions it refers to"
//! from regorus's typed AST and reports its cycles. A node is a rule's full path (package
//! then the static part of its head, e.g. `governance.ownership.deny`); every definition of
//! that path (incremental rules, `else` chains, several files of one package) adds its
//! references to the node.
//!
//! # Which names refer to a rule
//! Names resolve as in OPA (`resolveRefsInRule`) and regorus (its statement scheduler):
//! a bare name in a body is a *local* when the body (or an enclosing one) declares it, and
//! otherwise refers to the rule of that name in the package, or to an import alias.
//! Declaring forms are function arguments, `x := …` (and array/object patterns on its
//! left), `some x, y`, `some x in …`, `some k, v in …`, `every k, v in … { … }` (its body
//! only), and the same forms inside comprehension bodies, which see the locals of the
//! bodies around them. Unification (`x = …`), reference iteration (`xs[x]`) and output
//! arguments (`split(s, ".", x)`) do **not** declare: if `x` names a rule of the package,
//! they refer to it, which OPA reports as recursion too (checked against OPA v1.20).
//!
//! A reference `data.a.b.c` depends on every rule whose path is a prefix of `a.b.c` or
//! starts with it (so `data.a` depends on all of package `a` and its sub-packages); only its
//! static part counts (`data.a[x].c` is `data.a`). A call `f(x)` or `data.a.f(x)` depends
//! on the function of exactly that path; function names are not shadowed by locals.
//! Both sides of `with target as value` count, as in OPA.
//!
//! # Which calls are defined
//! A call is to a function of the policies when a rule answers its path: the path its name
//! resolves to as above, or (as regorus's interpreter also tries) the package followed by the
//! name as written. Every other call is reported with its position, for [`crate::calls`] to
//! classify, unless a `with` of its statement (or of a statement around it) replaces that
//! function (`crypto.sha256(x) with crypto.sha256 as mock`): then it is never called.
//!
//! # Why the doc-hidden regorus API
//! regorus 0.14 keeps its AST module private: the types are reachable only through its
//! `#[doc(hidden)]` re-export [`regorus::unstable`], and a compiled engine's modules only
//! through the `#[doc(hidden)]` `Engine::get_modules`, which takes `&mut self` (so the
//! engine is cloned: its modules are shared pointers, and at load time it holds no data).
//! The alternative, `Engine::get_ast_as_json`, serialises these same types, so its shape
//! is just as undocumented; the typed walk at least fails to compile, instead of silently
//! finding nothing, if a regorus upgrade changes the AST. The walk matches every
//! expression and statement variant exhaustively for that reason.
//!
//! # Robustness
//! The AST is walked with an explicit work stack (no recursion, so deep expressions cannot
//! overflow the stack) and the cycle search is an iterative depth-first search over a
//! finite graph. Nothing here unwraps or indexes on user input.

use std::collections::{BTreeMap, BTreeSet};

use regorus::unstable::{AssignOp, Expr, Literal, Module, Query, Rule, RuleHead, Span};

use crate::descriptor::Pos;

/// One recursion found in the loaded policies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cycle {
    /// The file of the rule definition where the cycle closes.
    pub file: String,
    /// The head of that rule definition.
    pub pos: Pos,
    /// The rules of the cycle as `package.rule`, starting and ending with the same rule
    /// (`s.a -> s.a` is written `["s.a", "s.a"]`).
    pub chain: Vec<String>,
}

/// A call to a function that no loaded policy defines: a builtin, or an unknown function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallSite {
    /// The file of the call.
    pub file: String,
    /// Where the function's name starts (regorus's column: a tab counts 4).
    pub pos: Pos,
    /// The function's name as written (`crypto.sha256`, `lower`).
    pub function: String,
}

/// What the static analysis of a policy set finds.
pub struct Analysis {
    /// Recursion, as [`find_cycles`] reports it.
    pub cycles: Vec<Cycle>,
    /// Every call to a function that no loaded policy defines (and that no `with` of the
    /// call's statement replaces), in file then position order.
    pub calls: Vec<CallSite>,
}

/// Walks the policies loaded in `engine` once: recursion and calls to functions they do not
/// define.
pub fn analyze(engine: &regorus::Engine) -> Analysis {
    // `get_modules` needs `&mut`; cloning an engine clones pointers to its modules.
    let mut engine = engine.clone();
    let modules = engine.get_modules();
    let mut graph = Graph::build(modules.iter().map(|m| &**m));
    let mut calls = std::mem::take(&mut graph.calls);
    calls.sort_by(|a, b| (&a.file, a.pos, &a.function).cmp(&(&b.file, b.pos, &b.function)));
    calls.dedup();
    Analysis {
        cycles: graph.cycles(),
        calls,
    }
}

/// Finds the recursive rules and functions among the policies loaded in `engine`.
///
/// Reports at most one cycle per file (the caller drops each reported file and checks
/// again). The order is deterministic: rules are visited in path order. It does not fail
/// today (a rule it cannot read is skipped); the `Result` leaves room for an analysis that can.
pub fn find_cycles(engine: &regorus::Engine) -> Result<Vec<Cycle>, String> {
    Ok(analyze(engine).cycles)
}

/// A full path: package components, then the rule's (`["s", "a"]` for `data.s.a`).
type DocPath = Vec<String>;

/// What one name or reference in a rule depends on.
enum Target<'a> {
    /// A document (a value read): every rule at, above or below the path.
    Doc(DocPath),
    /// A function call: the function of exactly this path, if the name resolves to one.
    Call(CallRef<'a>),
}

/// A call whose function is named by a static path (`f(x)`, `lib.f(x)`, `crypto.sha256(x)`).
struct CallRef<'a> {
    /// The path its name stands for when it names a rule of the package, an import or `data`
    /// (OPA's resolution); `None` otherwise (a builtin, or an unknown function).
    resolved: Option<DocPath>,
    /// The name as written: root then fields (`["crypto", "sha256"]`).
    written: Vec<String>,
    /// Where the function's name is.
    span: &'a Span,
    /// Whether a `with` of its statement (or of one around it) replaces the function.
    replaced: bool,
}

/// One definition of a rule (a rule with several bodies or files has several).
struct Def {
    file: String,
    pos: Pos,
    targets: BTreeSet<usize>,
}

/// A rule path with its definitions.
struct Node {
    path: DocPath,
    defs: Vec<Def>,
}

struct Graph {
    nodes: Vec<Node>,
    /// Calls to functions that no loaded policy defines, in walk order.
    calls: Vec<CallSite>,
}

/// Depth-first search states of a node.
const NEW: u8 = 0;
const ON_PATH: u8 = 1;
const DONE: u8 = 2;

/// What a module's bare names can refer to.
struct ModuleNames<'a> {
    package: &'a [String],
    /// Root names of the rules of the package (across all its modules).
    rules: &'a BTreeSet<String>,
    /// Import alias → the `data` path it stands for (`None`: not a `data` import).
    imports: BTreeMap<String, Option<DocPath>>,
}

impl ModuleNames<'_> {
    /// The document `name.fields…` refers to, unless `name` is a local or not a document.
    fn doc(&self, name: &str, fields: Vec<String>, local: bool) -> Option<DocPath> {
        if name == "data" {
            return Some(fields);
        }
        if local || name == "input" || name == "_" {
            return None;
        }
        let mut path = if self.rules.contains(name) {
            let mut p = self.package.to_vec();
            p.push(name.to_string());
            p
        } else {
            self.imports.get(name)?.clone()?
        };
        path.extend(fields);
        Some(path)
    }
}

/// A step of a reference: `.name` / `["name"]`, or an index only known at run time.
enum Field<'a> {
    Static(String),
    Dynamic(&'a Expr),
}

/// Splits `a.b[x].c` into its root expression and its fields, in source order.
fn split_ref(mut e: &Expr) -> (&Expr, Vec<Field<'_>>) {
    let mut fields = Vec::new();
    loop {
        match e {
            Expr::RefDot { refr, field, .. } => {
                let name = field
                    .1
                    .as_string()
                    .map(|s| s.to_string())
                    .unwrap_or_else(|_| field.0.text().to_string());
                fields.push(Field::Static(name));
                e = refr;
            }
            Expr::RefBrack { refr, index, .. } => {
                fields.push(match &**index {
                    Expr::String { value, .. } | Expr::RawString { value, .. } => {
                        match value.as_string() {
                            Ok(s) => Field::Static(s.to_string()),
                            Err(_) => Field::Dynamic(index),
                        }
                    }
                    _ => Field::Dynamic(index),
                });
                e = refr;
            }
            _ => break,
        }
    }
    fields.reverse();
    (e, fields)
}

/// The leading static fields (up to the first index only known at run time).
fn static_prefix(fields: &[Field<'_>]) -> Vec<String> {
    fields
        .iter()
        .map_while(|f| match f {
            Field::Static(s) => Some(s.clone()),
            Field::Dynamic(_) => None,
        })
        .collect()
}

/// A reference that is a variable followed by static fields only (package names, imports).
fn static_path(e: &Expr) -> Option<(String, Vec<String>)> {
    let (root, fields) = split_ref(e);
    let Expr::Var { span, .. } = root else {
        return None;
    };
    let path = static_prefix(&fields);
    (path.len() == fields.len()).then(|| (span.text().to_string(), path))
}

/// `root.f1.f2`.
fn dotted(root: &str, fields: &[String]) -> String {
    std::iter::once(root)
        .chain(fields.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join(".")
}

/// The variables a binding pattern (`x`, `[x, _]`, `{"k": x}`) declares.
fn pattern_vars(e: &Expr, into: &mut BTreeSet<String>) {
    let mut stack = vec![e];
    while let Some(e) = stack.pop() {
        match e {
            Expr::Var { span, .. } if span.text() != "_" => {
                into.insert(span.text().to_string());
            }
            Expr::Array { items, .. } => stack.extend(items.iter().map(|i| &**i)),
            Expr::Object { fields, .. } => stack.extend(fields.iter().map(|(_, _, v)| &**v)),
            _ => {}
        }
    }
}

/// The variables a query declares for itself (and its comprehensions): `:=`, `some`.
fn declared(q: &Query) -> BTreeSet<String> {
    let mut vars = BTreeSet::new();
    for stmt in &q.stmts {
        match &stmt.literal {
            Literal::SomeVars { vars: v, .. } => {
                vars.extend(v.iter().map(|s| s.text().to_string()));
            }
            Literal::SomeIn { key, value, .. } => {
                if let Some(k) = key {
                    pattern_vars(k, &mut vars);
                }
                pattern_vars(value, &mut vars);
            }
            Literal::Expr { expr, .. } | Literal::NotExpr { expr, .. } => {
                if let Expr::AssignExpr {
                    op: AssignOp::ColEq,
                    lhs,
                    ..
                } = &**expr
                {
                    pattern_vars(lhs, &mut vars);
                }
            }
            // Its key and value are local to its own body.
            Literal::Every { .. } => {}
        }
    }
    vars.remove("_");
    vars
}

/// One local scope: its parent, the names it declares, and the functions the `with` of the
/// statement it stands for replaces (dotted, as written).
struct Frame {
    parent: Option<usize>,
    names: BTreeSet<String>,
    replaced: BTreeSet<String>,
}

/// Nested local scopes of one rule; a scope's parent always has a smaller index.
#[derive(Default)]
struct Scopes {
    frames: Vec<Frame>,
}

impl Scopes {
    fn push(&mut self, parent: Option<usize>, names: BTreeSet<String>) -> usize {
        self.frames.push(Frame {
            parent,
            names,
            replaced: BTreeSet::new(),
        });
        self.frames.len() - 1
    }

    /// A scope for one statement whose `with` modifiers replace `replaced`.
    fn push_with(&mut self, parent: usize, replaced: BTreeSet<String>) -> usize {
        self.frames.push(Frame {
            parent: Some(parent),
            names: BTreeSet::new(),
            replaced,
        });
        self.frames.len() - 1
    }

    /// The frames from `scope` outwards.
    fn chain(&self, mut scope: Option<usize>) -> impl Iterator<Item = &Frame> {
        std::iter::from_fn(move || {
            let id = scope?;
            let frame = self.frames.get(id)?;
            // Parents have smaller indexes, so this ends.
            scope = frame.parent.filter(|p| *p < id);
            Some(frame)
        })
    }

    fn is_local(&self, scope: Option<usize>, name: &str) -> bool {
        self.chain(scope).any(|f| f.names.contains(name))
    }

    fn is_replaced(&self, scope: usize, function: &str) -> bool {
        self.chain(Some(scope))
            .any(|f| f.replaced.contains(function))
    }
}

/// Work for the AST walk.
enum Item<'a> {
    /// An expression whose names are read.
    Expr(&'a Expr, usize),
    /// A binding pattern: its variables are declared, anything else in it is read.
    Pattern(&'a Expr, usize),
    /// A query (rule body, comprehension body, `every` body) in its own scope.
    Query(&'a Query, usize),
}

/// Walks one rule definition and returns what it depends on.
fn rule_targets<'a>(rule: &'a Rule, names: &ModuleNames<'_>) -> Vec<Target<'a>> {
    let mut scopes = Scopes::default();
    let mut work: Vec<Item<'_>> = Vec::new();
    match rule {
        Rule::Spec { head, bodies, .. } => {
            let (refr, args, outputs): (&Expr, &[_], Vec<&Expr>) = match head {
                RuleHead::Compr { refr, assign, .. } => {
                    (refr, &[], assign.iter().map(|a| &*a.value).collect())
                }
                RuleHead::Set { refr, key, .. } => (refr, &[], key.iter().map(|k| &**k).collect()),
                RuleHead::Func {
                    refr, args, assign, ..
                } => (refr, args, assign.iter().map(|a| &*a.value).collect()),
            };
            let mut arg_vars = BTreeSet::new();
            for a in args {
                pattern_vars(a, &mut arg_vars);
            }
            let arg_scope = scopes.push(None, arg_vars);
            work.extend(args.iter().map(|a| Item::Pattern(a, arg_scope)));
            // `p[k] := v`: `k` is an output like `v`, bound by the body.
            let (_, head_fields) = split_ref(refr);
            let mut outputs = outputs;
            outputs.extend(head_fields.iter().filter_map(|f| match f {
                Field::Dynamic(e) => Some(*e),
                Field::Static(_) => None,
            }));
            if bodies.is_empty() {
                work.extend(outputs.iter().map(|o| Item::Expr(o, arg_scope)));
            }
            for (i, body) in bodies.iter().enumerate() {
                let scope = scopes.push(Some(arg_scope), declared(&body.query));
                work.push(Item::Query(&body.query, scope));
                if i == 0 || body.assign.is_none() {
                    work.extend(outputs.iter().map(|o| Item::Expr(o, scope)));
                }
                if let Some(a) = &body.assign {
                    work.push(Item::Expr(&a.value, scope));
                }
            }
        }
        Rule::Default {
            refr, args, value, ..
        } => {
            let mut arg_vars = BTreeSet::new();
            for a in args {
                pattern_vars(a, &mut arg_vars);
            }
            let scope = scopes.push(None, arg_vars);
            work.extend(args.iter().map(|a| Item::Pattern(a, scope)));
            work.push(Item::Expr(value, scope));
            let (_, fields) = split_ref(refr);
            for f in fields {
                if let Field::Dynamic(e) = f {
                    work.push(Item::Expr(e, scope));
                }
            }
        }
    }
    walk(work, &mut scopes, names)
}

/// Runs the work stack; every name read is resolved against `names`.
fn walk<'a>(
    mut work: Vec<Item<'a>>,
    scopes: &mut Scopes,
    names: &ModuleNames<'_>,
) -> Vec<Target<'a>> {
    let mut out = Vec::new();
    while let Some(item) = work.pop() {
        match item {
            Item::Pattern(e, scope) => match e {
                Expr::Var { .. } => {}
                Expr::Array { items, .. } => {
                    work.extend(items.iter().map(|i| Item::Pattern(i, scope)));
                }
                Expr::Object { fields, .. } => {
                    for (_, k, v) in fields {
                        work.push(Item::Expr(k, scope));
                        work.push(Item::Pattern(v, scope));
                    }
                }
                _ => work.push(Item::Expr(e, scope)),
            },
            Item::Query(q, scope) => {
                for stmt in &q.stmts {
                    // `with target as value`: OPA counts the target as a dependency too.
                    for w in &stmt.with_mods {
                        work.push(Item::Expr(&w.refr, scope));
                        work.push(Item::Expr(&w.r#as, scope));
                    }
                    // A function a `with` replaces is not called while the statement runs.
                    let replaced: BTreeSet<String> = stmt
                        .with_mods
                        .iter()
                        .filter_map(|w| static_path(&w.refr))
                        .map(|(root, fields)| dotted(&root, &fields))
                        .collect();
                    let scope = if replaced.is_empty() {
                        scope
                    } else {
                        scopes.push_with(scope, replaced)
                    };
                    match &stmt.literal {
                        Literal::SomeVars { .. } => {}
                        Literal::SomeIn {
                            key,
                            value,
                            collection,
                            ..
                        } => {
                            if let Some(k) = key {
                                work.push(Item::Pattern(k, scope));
                            }
                            work.push(Item::Pattern(value, scope));
                            work.push(Item::Expr(collection, scope));
                        }
                        Literal::Expr { expr, .. } | Literal::NotExpr { expr, .. } => match &**expr
                        {
                            Expr::AssignExpr {
                                op: AssignOp::ColEq,
                                lhs,
                                rhs,
                                ..
                            } => {
                                work.push(Item::Pattern(lhs, scope));
                                work.push(Item::Expr(rhs, scope));
                            }
                            _ => work.push(Item::Expr(expr, scope)),
                        },
                        Literal::Every {
                            key,
                            value,
                            domain,
                            query,
                            ..
                        } => {
                            work.push(Item::Expr(domain, scope));
                            let mut vars = declared(query);
                            vars.extend(key.iter().chain([value]).map(|s: &Span| s.text().into()));
                            let inner = scopes.push(Some(scope), vars);
                            work.push(Item::Query(query, inner));
                        }
                    }
                }
            }
            Item::Expr(e, scope) => match e {
                Expr::String { .. }
                | Expr::RawString { .. }
                | Expr::Number { .. }
                | Expr::Bool { .. }
                | Expr::Null { .. } => {}
                Expr::Var { .. } | Expr::RefDot { .. } | Expr::RefBrack { .. } => {
                    let (root, fields) = split_ref(e);
                    for f in &fields {
                        if let Field::Dynamic(index) = f {
                            work.push(Item::Expr(index, scope));
                        }
                    }
                    match root {
                        Expr::Var { span, .. } => {
                            let name = span.text();
                            let local = scopes.is_local(Some(scope), name);
                            if let Some(p) = names.doc(name, static_prefix(&fields), local) {
                                out.push(Target::Doc(p));
                            }
                        }
                        other => work.push(Item::Expr(other, scope)),
                    }
                }
                Expr::Call { fcn, params, .. } => {
                    match static_path(fcn) {
                        // A function name is never a local.
                        Some((name, fields)) => {
                            let replaced = scopes.is_replaced(scope, &dotted(&name, &fields));
                            let resolved = names.doc(&name, fields.clone(), false);
                            let mut written = vec![name];
                            written.extend(fields);
                            out.push(Target::Call(CallRef {
                                resolved,
                                written,
                                // A dotted name's own span starts at its last dot.
                                span: split_ref(fcn).0.span(),
                                replaced,
                            }));
                        }
                        None => work.push(Item::Expr(fcn, scope)),
                    }
                    work.extend(params.iter().map(|p| Item::Expr(p, scope)));
                }
                Expr::ArrayCompr { term, query, .. } | Expr::SetCompr { term, query, .. } => {
                    let inner = scopes.push(Some(scope), declared(query));
                    work.push(Item::Query(query, inner));
                    work.push(Item::Expr(term, inner));
                }
                Expr::ObjectCompr {
                    key, value, query, ..
                } => {
                    let inner = scopes.push(Some(scope), declared(query));
                    work.push(Item::Query(query, inner));
                    work.push(Item::Expr(key, inner));
                    work.push(Item::Expr(value, inner));
                }
                Expr::Array { items, .. } | Expr::Set { items, .. } => {
                    work.extend(items.iter().map(|i| Item::Expr(i, scope)));
                }
                Expr::Object { fields, .. } => {
                    for (_, k, v) in fields {
                        work.push(Item::Expr(k, scope));
                        work.push(Item::Expr(v, scope));
                    }
                }
                Expr::UnaryExpr { expr, .. } => work.push(Item::Expr(expr, scope)),
                Expr::BinExpr { lhs, rhs, .. }
                | Expr::BoolExpr { lhs, rhs, .. }
                | Expr::ArithExpr { lhs, rhs, .. }
                | Expr::AssignExpr { lhs, rhs, .. } => {
                    work.push(Item::Expr(lhs, scope));
                    work.push(Item::Expr(rhs, scope));
                }
                Expr::Membership {
                    key,
                    value,
                    collection,
                    ..
                } => {
                    if let Some(k) = key {
                        work.push(Item::Expr(k, scope));
                    }
                    work.push(Item::Expr(value, scope));
                    work.push(Item::Expr(collection, scope));
                }
            },
        }
    }
    out
}

/// A rule (or function) as declared in a module: the first name of its head, its kind, and
/// where the head is. Policies are recognised by these names (`deny`, `deny_missing_owner`,
/// `exception`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredRule {
    /// The file of the module.
    pub file: String,
    /// The head's first name (`deny` for `deny contains msg if …` and for `deny.x := …`).
    pub name: String,
    /// A rule without a value: `name if …` or `name[x] if …` (no `contains`, no `:=`), whose
    /// value is `true` (or an object of `true`s), never a set of messages.
    pub valueless: bool,
    /// Where the head is.
    pub pos: Pos,
}

/// Every rule declaration of every module loaded in `engine`, in module then source order.
pub fn declared_rules(engine: &regorus::Engine) -> Vec<DeclaredRule> {
    // `get_modules` needs `&mut`; cloning an engine clones pointers to its modules.
    let mut engine = engine.clone();
    let mut out = Vec::new();
    for m in engine.get_modules() {
        let file = m.package.span.source.file().to_string();
        for rule in &m.policy {
            let Some((path, span)) = rule_head(rule) else {
                continue;
            };
            let Some(name) = path.first() else { continue };
            let valueless = matches!(
                &**rule,
                Rule::Spec {
                    head: RuleHead::Compr { assign: None, .. },
                    ..
                }
            );
            out.push(DeclaredRule {
                file: file.clone(),
                name: name.clone(),
                valueless,
                pos: Pos::new(span.line as usize, span.col as usize),
            });
        }
    }
    out
}

/// Whether a rule of the loaded policies answers the call `c` in package `pkg`: its resolved
/// path (a rule of the package, an import alias, `data.…`), or, as regorus's interpreter also
/// tries, the package followed by the name as written (`sub.f` in package `a` is `a.sub.f`).
/// A rule at a prefix of the path counts too: calling into a rule's value is not a call to an
/// unknown function (it fails in its own way).
fn defines_function(index: &BTreeMap<DocPath, usize>, pkg: &[String], c: &CallRef<'_>) -> bool {
    let mut relative = pkg.to_vec();
    relative.extend(c.written.iter().cloned());
    let hit =
        |p: &DocPath| (1..=p.len()).any(|k| p.get(..k).is_some_and(|pre| index.contains_key(pre)));
    c.resolved.iter().any(hit) || hit(&relative)
}

/// A rule's path below its package and the position of its head.
fn rule_head(rule: &Rule) -> Option<(Vec<String>, &Span)> {
    let (refr, span) = match rule {
        Rule::Spec { head, .. } => match head {
            RuleHead::Compr { refr, span, .. }
            | RuleHead::Set { refr, span, .. }
            | RuleHead::Func { refr, span, .. } => (refr, span),
        },
        Rule::Default { refr, span, .. } => (refr, span),
    };
    let (root, fields) = split_ref(refr);
    let Expr::Var { span: name, .. } = root else {
        return None;
    };
    let mut path = vec![name.text().to_string()];
    path.extend(static_prefix(&fields));
    Some((path, span))
}

impl Graph {
    fn build<'m>(modules: impl Iterator<Item = &'m Module> + Clone) -> Graph {
        // Pass 1: packages, their rule names, and one node per rule path.
        let mut index: BTreeMap<DocPath, usize> = BTreeMap::new();
        let mut nodes: Vec<Node> = Vec::new();
        let mut rule_names: BTreeMap<DocPath, BTreeSet<String>> = BTreeMap::new();
        let mut packages: Vec<Option<DocPath>> = Vec::new();
        for m in modules.clone() {
            let package = static_path(&m.package.refr).map(|(root, mut rest)| {
                rest.insert(0, root);
                rest
            });
            if let Some(pkg) = &package {
                let names = rule_names.entry(pkg.clone()).or_default();
                for rule in &m.policy {
                    if let Some((path, _)) = rule_head(rule) {
                        names.extend(path.first().cloned());
                        let mut full = pkg.clone();
                        full.extend(path);
                        if !index.contains_key(&full) {
                            index.insert(full.clone(), nodes.len());
                            nodes.push(Node {
                                path: full,
                                defs: Vec::new(),
                            });
                        }
                    }
                }
            }
            packages.push(package);
        }
        // Pass 2: what each rule definition refers to.
        let empty = BTreeSet::new();
        let mut calls = Vec::new();
        for (m, package) in modules.zip(packages) {
            let Some(pkg) = package else { continue };
            let names = ModuleNames {
                package: &pkg,
                rules: rule_names.get(&pkg).unwrap_or(&empty),
                imports: imports(m),
            };
            let file = m.package.span.source.file().to_string();
            for rule in &m.policy {
                let Some((path, span)) = rule_head(rule) else {
                    continue;
                };
                let mut full = pkg.clone();
                full.extend(path);
                let Some(&id) = index.get(&full) else {
                    continue;
                };
                let mut targets = BTreeSet::new();
                for t in rule_targets(rule, &names) {
                    match t {
                        Target::Call(c) => {
                            let id = c.resolved.as_ref().and_then(|p| index.get(p)).copied();
                            targets.extend(id);
                            if !c.replaced && !defines_function(&index, &pkg, &c) {
                                calls.push(CallSite {
                                    file: file.clone(),
                                    pos: Pos::new(c.span.line as usize, c.span.col as usize),
                                    function: c.written.join("."),
                                });
                            }
                        }
                        Target::Doc(p) => {
                            // Rules at or above the path…
                            for k in 0..=p.len() {
                                targets.extend(p.get(..k).and_then(|pre| index.get(pre)).copied());
                            }
                            // …and below it.
                            for (q, &n) in index.range(p.clone()..) {
                                if !q.starts_with(&p) {
                                    break;
                                }
                                targets.insert(n);
                            }
                        }
                    }
                }
                if let Some(node) = nodes.get_mut(id) {
                    node.defs.push(Def {
                        file: file.clone(),
                        pos: Pos::new(span.line as usize, span.col as usize),
                        targets,
                    });
                }
            }
        }
        Graph { nodes, calls }
    }

    fn edges(&self, n: usize) -> BTreeSet<usize> {
        self.nodes
            .get(n)
            .map(|node| {
                node.defs
                    .iter()
                    .flat_map(|d| d.targets.iter().copied())
                    .collect()
            })
            .unwrap_or_default()
    }

    fn name(&self, n: usize) -> String {
        self.nodes
            .get(n)
            .map(|node| node.path.join("."))
            .unwrap_or_default()
    }

    /// Iterative depth-first search; every edge back into the current path is a cycle.
    fn cycles(&self) -> Vec<Cycle> {
        let mut state = vec![NEW; self.nodes.len()];
        let mut cycles = Vec::new();
        let mut files = BTreeSet::new();
        // Visit rules in path order, so that reports do not depend on load order.
        let mut order: Vec<usize> = (0..self.nodes.len()).collect();
        order.sort_by(|a, b| {
            let pa = self.nodes.get(*a).map(|n| &n.path);
            pa.cmp(&self.nodes.get(*b).map(|n| &n.path))
        });
        for start in order {
            if state.get(start) != Some(&NEW) {
                continue;
            }
            // The current path, each node with the successors still to visit.
            let mut stack: Vec<(usize, Vec<usize>)> = Vec::new();
            self.enter(start, &mut state, &mut stack);
            while let Some((node, next)) = stack.last_mut() {
                let node = *node;
                let Some(succ) = next.pop() else {
                    if let Some(s) = state.get_mut(node) {
                        *s = DONE;
                    }
                    stack.pop();
                    continue;
                };
                match state.get(succ).copied() {
                    Some(NEW) => self.enter(succ, &mut state, &mut stack),
                    Some(ON_PATH) => {
                        let from = stack.iter().position(|(n, _)| *n == succ).unwrap_or(0);
                        let mut ids: Vec<usize> =
                            stack.iter().skip(from).map(|(n, _)| *n).collect();
                        ids.push(succ);
                        if let Some(c) = self.report(&ids) {
                            if files.insert(c.file.clone()) {
                                cycles.push(c);
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        cycles
    }

    /// Puts `n` on the search path, with its successors to visit in path order.
    fn enter(&self, n: usize, state: &mut [u8], stack: &mut Vec<(usize, Vec<usize>)>) {
        if let Some(s) = state.get_mut(n) {
            *s = ON_PATH;
        }
        let mut next: Vec<usize> = self.edges(n).into_iter().collect();
        next.reverse(); // popped from the end
        stack.push((n, next));
    }

    /// The cycle `ids` (first = last), located at the definition of its first rule that
    /// leads into it.
    fn report(&self, ids: &[usize]) -> Option<Cycle> {
        let first = self.nodes.get(*ids.first()?)?;
        let next = ids.get(1).copied();
        let def = first
            .defs
            .iter()
            .find(|d| next.is_some_and(|n| d.targets.contains(&n)))
            .or_else(|| first.defs.first())?;
        Some(Cycle {
            file: def.file.clone(),
            pos: def.pos,
            chain: ids.iter().map(|&n| self.name(n)).collect(),
        })
    }
}

/// A module's import aliases (`import data.a.b` is `b`, `import data.a.b as c` is `c`).
fn imports(m: &Module) -> BTreeMap<String, Option<DocPath>> {
    let mut out = BTreeMap::new();
    for imp in &m.imports {
        let Some((root, fields)) = static_path(&imp.refr) else {
            continue;
        };
        if root != "data" && root != "input" {
            continue; // `future.keywords…`, `rego.v1`
        }
        let alias = match &imp.r#as {
            Some(a) => a.text().to_string(),
            None => fields.last().cloned().unwrap_or_else(|| root.clone()),
        };
        out.insert(alias, (root == "data").then_some(fields));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cycles of `files` (path, Rego v1 text), as `file:line:col chain`.
    fn cycles(files: &[(&str, &str)]) -> Vec<String> {
        let mut engine = regorus::Engine::new();
        engine.set_rego_v0(false);
        for (path, text) in files {
            if let Err(e) = engine.add_policy(path.to_string(), text.to_string()) {
                panic!("{path} does not parse: {e}");
            }
        }
        match find_cycles(&engine) {
            Ok(c) => c
                .iter()
                .map(|c| format!("{}:{} {}", c.file, c.pos, c.chain.join(" -> ")))
                .collect(),
            Err(e) => panic!("analysis failed: {e}"),
        }
    }

    fn accepted(name: &str, text: &str) {
        let found = cycles(&[("p.rego", text)]);
        assert!(
            found.is_empty(),
            "{name}: wrongly rejected: {found:?}\n{text}"
        );
    }

    fn rejected(name: &str, files: &[(&str, &str)], expected: &str) {
        let found = cycles(files);
        assert_eq!(found, vec![expected.to_string()], "{name}");
    }

    /// A rule (or function) whose body binds a local of its own name, through each form
    /// that declares a variable: the local is not a reference to the rule.
    #[test]
    fn locals_shadow_rule_names_in_every_binding_form() {
        let cases = [
            (":=", "package p\nport := n if {\n  port := input.port\n  n := port.name\n}\n"),
            (
                ":= array pattern",
                "package p\nport := n if {\n  [port, _] := input.pair\n  n := port\n}\n",
            ),
            (
                ":= object pattern",
                "package p\nport := n if {\n  {\"p\": port} := input.obj\n  n := port\n}\n",
            ),
            (
                "some x",
                "package p\nport contains n if {\n  some port\n  input.ports[port]\n  n := port\n}\n",
            ),
            (
                "= after some x",
                "package p\nport contains n if {\n  some port\n  port = input.ports[_]\n  n := port.name\n}\n",
            ),
            (
                "some x in",
                "package p\nport contains name if {\n  some port in input.ports\n  name := port.name\n}\n",
            ),
            (
                "some k, v in (key)",
                "package p\nport contains n if {\n  some port, v in input.ports\n  n := [port, v]\n}\n",
            ),
            (
                "some k, v in (value)",
                "package p\nport contains n if {\n  some i, port in input.ports\n  n := [i, port]\n}\n",
            ),
            (
                "some [a, b] in",
                "package p\nport contains n if {\n  some [port, x] in input.pairs\n  n := [port, x]\n}\n",
            ),
            (
                "every x in",
                "package p\nport if {\n  every port in input.ports { port.open }\n}\n",
            ),
            (
                "every k, v in (key)",
                "package p\nport if {\n  every port, p in input.ports { port >= 0; p.open }\n}\n",
            ),
            (
                "every k, v in (value)",
                "package p\nport if {\n  every i, port in input.ports { i >= 0; port.open }\n}\n",
            ),
            (
                "function argument",
                "package p\nport(port) := n if {\n  n := port.name\n}\n",
            ),
            (
                "function argument pattern",
                "package p\nport([port, x]) := n if {\n  n := [port, x]\n}\n",
            ),
            (
                "function argument shadowing another rule",
                "package p\nname := \"n\"\n\nhelper(name) := name if { name }\n\ndeny contains m if {\n  name := helper(true)\n  m := name\n}\n",
            ),
            (
                "array comprehension",
                "package p\nport := [n | some port in input.ports; n := port.name]\n",
            ),
            (
                "array comprehension term",
                "package p\nport := [port | some port in input.ports]\n",
            ),
            (
                "set comprehension",
                "package p\nport := {port | port := input.ports[_]}\n",
            ),
            (
                "object comprehension",
                "package p\nport := {port: v | some port, v in input.ports}\n",
            ),
            (
                "comprehension sees the body's locals",
                "package p\nport contains n if {\n  some port in input.ports\n  n := [m | some m in port.names]\n}\n",
            ),
            (
                "every body sees the body's locals",
                "package p\nport if {\n  some port in input.ports\n  every q in port.qs { q }\n}\n",
            ),
            (
                "nested bodies: some inside every inside a comprehension",
                "package p\nport := [x | some x in input.xs; every y in x { some port in y; port }]\n",
            ),
            (
                "else body",
                "package p\nport := n if {\n  some port in input.ports\n  n := port\n} else := n if {\n  port := input.port\n  n := port\n}\n",
            ),
            (
                "partial object key",
                "package p\nport[port] := v if {\n  some port, v in input.ports\n}\n",
            ),
            (
                "a rule naming another document",
                "package p\na := b\n\nb := 1\n",
            ),
            (
                "rule paths that do not overlap",
                "package p\na.b := a.c\n\na.c := 1\n",
            ),
        ];
        for (name, text) in cases {
            accepted(name, text);
        }
    }

    #[test]
    fn direct_recursion_is_rejected() {
        rejected(
            "through data",
            &[(
                "s.rego",
                "package s\n\na contains x if { some x in data.s.a }\n",
            )],
            "s.rego:3:1 s.a -> s.a",
        );
        rejected(
            "through the bare name",
            &[("s.rego", "package s\n\na contains x if a[x]\n")],
            "s.rego:3:1 s.a -> s.a",
        );
        rejected(
            "through the whole package",
            &[("s.rego", "package s\n\na if data.s\n")],
            "s.rego:3:1 s.a -> s.a",
        );
        rejected(
            "through all of data",
            &[("s.rego", "package s\n\na if { data }\n")],
            "s.rego:3:1 s.a -> s.a",
        );
        rejected(
            "through every",
            &[("s.rego", "package s\n\na if { every x in a { x } }\n")],
            "s.rego:3:1 s.a -> s.a",
        );
        rejected(
            "through else",
            &[(
                "s.rego",
                "package s\n\nf(x) := 1 if { x > 0 } else := f(x - 1)\n",
            )],
            "s.rego:3:1 s.f -> s.f",
        );
        rejected(
            "through with ... as",
            &[("s.rego", "package s\n\na if { true with input as a }\n")],
            "s.rego:3:1 s.a -> s.a",
        );
        rejected(
            "through a with target",
            &[("s.rego", "package s\n\na if { true with data.s.a as 1 }\n")],
            "s.rego:3:1 s.a -> s.a",
        );
        rejected(
            "through a comprehension",
            &[("s.rego", "package s\n\na := [x | some x in a]\n")],
            "s.rego:3:1 s.a -> s.a",
        );
    }

    /// Unification, reference iteration and output arguments bind only names that are not
    /// already defined: a rule's name is defined, so they refer to the rule (as in OPA).
    #[test]
    fn non_declaring_forms_refer_to_the_rule() {
        let cases = [
            (
                "=",
                "package p\nport contains n if {\n  port = input.ports[_]\n  n := port\n}\n",
            ),
            (
                "reference iteration",
                "package p\nport contains n if {\n  input.ports[port]\n  n := port\n}\n",
            ),
            (
                "= in a comprehension",
                "package p\nport := [y | port = input.ports[_]; y := port]\n",
            ),
            (
                "output argument",
                "package p\nport if {\n  split(\"a.b\", \".\", port)\n}\n",
            ),
        ];
        for (name, text) in cases {
            rejected(name, &[("p.rego", text)], "p.rego:2:1 p.port -> p.port");
        }
    }

    #[test]
    fn mutual_recursion_is_rejected() {
        rejected(
            "functions",
            &[("r.rego", "package r\n\nf(x) := g(x)\n\ng(x) := f(x)\n")],
            "r.rego:3:1 r.f -> r.g -> r.f",
        );
        rejected(
            "package-relative rules",
            &[("p.rego", "package p\n\nb := a\n\na := b\n")],
            "p.rego:5:1 p.a -> p.b -> p.a",
        );
        rejected(
            "across packages through data",
            &[
                ("a.rego", "package a\n\nx := data.b.y\n"),
                ("b.rego", "package b\n\ny := data.a.x\n"),
            ],
            "a.rego:3:1 a.x -> b.y -> a.x",
        );
        rejected(
            "into a rule of a nested package",
            &[
                ("q.rego", "package q\n\nr := data.x.y.z\n"),
                ("xy.rego", "package x.y\n\nz := data.q.r\n"),
            ],
            "q.rego:3:1 q.r -> x.y.z -> q.r",
        );
        rejected(
            "through an import alias",
            &[
                (
                    "a.rego",
                    "package a\n\nimport data.b.y as other\n\nx if other\n",
                ),
                ("b.rego", "package b\n\nimport data.a\n\ny if a.x\n"),
            ],
            "a.rego:5:1 a.x -> b.y -> a.x",
        );
        rejected(
            "a function called with a local that shadows another rule",
            &[(
                "p.rego",
                "package p\n\nname := \"n\"\n\ndeny contains m if {\n  some name in input.names\n  m := check(name)\n}\n\ncheck(x) := count(deny)\n",
            )],
            "p.rego:10:1 p.check -> p.deny -> p.check",
        );
        rejected(
            "a function whose argument shadows another rule",
            &[(
                "p.rego",
                "package p\n\nname := \"n\"\n\nf(name) := g(name)\n\ng(x) := f(x)\n",
            )],
            "p.rego:5:1 p.f -> p.g -> p.f",
        );
    }

    #[test]
    fn the_cycle_is_located_at_the_definition_that_closes_it() {
        // `a` has two definitions; only the second one leads into the cycle.
        rejected(
            "incremental rule",
            &[(
                "p.rego",
                "package p\n\na contains 1\n\na contains x if { some x in b }\n\nb contains x if { some x in a }\n",
            )],
            "p.rego:5:1 p.a -> p.b -> p.a",
        );
        // One report per file, in path order.
        let found = cycles(&[
            ("a.rego", "package a\n\nx := x\n\ny := y\n"),
            ("b.rego", "package b\n\nz := z\n"),
        ]);
        assert_eq!(
            found,
            vec!["a.rego:3:1 a.x -> a.x", "b.rego:3:1 b.z -> b.z"]
        );
    }

    #[test]
    fn deep_expressions_do_not_overflow() {
        // Lines are limited to 1024 columns: long sums span lines inside parentheses.
        let chain: Vec<String> = (0..150).map(|i| format!("f{i}")).collect();
        let text = format!(
            "package p\n\na := data.p.b.{}\n\nb := (input.x\n{})\n",
            chain.join("."),
            vec!["  + 1"; 3000].join("\n")
        );
        assert!(cycles(&[("p.rego", &text)]).is_empty());
    }
}
