//! Loading one data product: read its descriptor, skip templates, parse, resolve `$ref`s,
//! detect the standard and build the normalized view — everything policies will see.

use std::path::Path;
use std::sync::Arc;

use regorus::Value;

use crate::data;
use crate::descriptor::refs::{self, Loaded};
use crate::descriptor::{self, Format, Limits, Node, ParseError, PathSeg, Pos, Span, Standard};
use crate::discover::ProductFile;
use crate::findings::{Finding, Location, Severity, POLICY_PARSE, POLICY_REF, POLICY_TEMPLATE};
use crate::view;

/// A product ready for evaluation: its descriptor parsed, or the reason it is not.
#[derive(Debug, Clone)]
pub struct Product {
    /// Repo-relative path of the descriptor.
    pub path: String,
    /// The domain whose folder holds it.
    pub domain: Option<String>,
    /// YAML or JSON.
    pub format: Format,
    /// The parsed descriptor with `$ref`s resolved (absent when it did not parse).
    pub root: Option<Node>,
    /// The standard detected from the root keys.
    pub standard: Option<Standard>,
    /// The version of the standard the descriptor declares, as written.
    pub standard_version: Option<String>,
    /// The normalized view (recognised standards only).
    pub view: Option<Node>,
    /// Where the fields missing from the view belong.
    pub view_anchors: Vec<view::Anchor>,
    /// Files whose nodes the tree holds: `[0]` is the descriptor, then files reached by `$ref`.
    pub files: Vec<String>,
    /// Every file its `$ref`s asked for, found or not (a missing or broken one is not in
    /// `files`), sorted: adding, changing or deleting one touches the product.
    pub ref_reads: Vec<String>,
    /// The descriptor as a policy input (absent when it did not parse).
    pub input: Option<Value>,
    /// `data.meshgate.product`.
    pub facts: Value,
    /// Why the product was not checked (a template), when it was skipped.
    pub skipped: Option<String>,
}

/// A product with what loading it reported.
pub struct LoadedProduct {
    /// The product.
    pub product: Product,
    /// Built-in findings: parse errors, duplicate-key warnings, unresolved `$ref`s, templates.
    pub findings: Vec<Finding>,
    /// Text of every file read, by repo-relative path (for snippets).
    pub texts: Vec<(String, Arc<str>)>,
}

impl Product {
    /// Where a finding's `path` points. Paths starting with `view` address the normalized view
    /// (and are located where the viewed field came from); `input` may prefix a descriptor path;
    /// any other path is a descriptor path.
    pub fn locate(&self, path: &[PathSeg]) -> Option<Location> {
        let root = self.root.as_ref()?;
        let (node, rest) = match path.split_first() {
            Some((PathSeg::Key(k), rest)) if k == "view" && self.view.is_some() => {
                let (span, _) = view::locate(self.view.as_ref()?, &self.view_anchors, rest);
                return Some(self.location(span));
            }
            Some((PathSeg::Key(k), rest)) if k == "input" => (root, rest),
            _ => (root, path),
        };
        let (span, _) = node.locate(rest);
        Some(self.location(span))
    }

    /// The location of a span of this product's tree.
    pub fn location(&self, span: Span) -> Location {
        let file = self.files.get(span.file as usize).unwrap_or(&self.path);
        Location::new(file, span.start, span.len)
    }
}

/// Reads a file, refusing files over the size limit before reading them.
pub fn read_limited(path: &Path, limits: &Limits) -> Result<Vec<u8>, ParseError> {
    let meta = std::fs::metadata(path)
        .map_err(|e| ParseError::new("io", format!("cannot read file: {e}"), Pos::START))?;
    if meta.len() > limits.max_bytes {
        return Err(ParseError::new(
            "too-large",
            format!(
                "descriptor is {} bytes, over the limit of {} bytes",
                meta.len(),
                limits.max_bytes
            ),
            Pos::START,
        )
        .with_help("split the descriptor, or raise `max-descriptor-bytes` in meshgate.toml"));
    }
    std::fs::read(path)
        .map_err(|e| ParseError::new("io", format!("cannot read file: {e}"), Pos::START))
}

/// A parse problem as a finding of `meshgate.parse`.
pub fn parse_finding(
    product: &str,
    file: &str,
    domain: Option<&str>,
    e: &ParseError,
    severity: Severity,
) -> Finding {
    Finding::builtin(
        POLICY_PARSE,
        e.code,
        product,
        domain,
        severity,
        e.message.clone(),
        Location::new(file, e.pos, 1),
        e.help.clone(),
    )
}

/// Whether a repo-relative path is where templates live: a folder (or the file) named
/// `template(s)`, `_template(s)`, `skeleton(s)` (Backstage), or with a `{{` in its name
/// (cookiecutter's `{{cookiecutter.name}}/`).
pub fn is_template_path(path: &str) -> bool {
    path.split('/').any(|c| {
        let c = c.to_ascii_lowercase();
        let bare = c.trim_start_matches(['_', '.']);
        c.contains("{{") || matches!(bare, "template" | "templates" | "skeleton" | "skeletons")
    })
}

/// Where a file looks like a template (Jinja, cookiecutter, Backstage, `%SKELETON`) rather than
/// a descriptor: the first marker's position and what it is.
pub fn template_marker(text: &str) -> Option<(Pos, &'static str)> {
    let mut first_content = true;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.is_empty() {
            continue;
        }
        if first_content && trimmed.starts_with("%SKELETON") {
            return Some((Pos::new(i + 1, line.len() - trimmed.len() + 1), "%SKELETON"));
        }
        first_content = false;
        if trimmed.starts_with('#') {
            continue;
        }
        let at = |byte: usize| Pos::new(i + 1, line[..byte].chars().count() + 1);
        if let Some(b) = line.find("{%") {
            if line[b..].contains("%}") {
                return Some((at(b), "{% … %}"));
            }
        }
        if let Some(b) = line.find("${{") {
            if line[b..].contains("}}") {
                return Some((at(b), "${{ … }}"));
            }
        }
        if let Some(b) = line.find("{{") {
            // Only a placeholder standing for a whole value (`key: {{ x }}`, `- "{{ x }}"`), not
            // braces inside prose.
            let before = line[..b]
                .trim_end()
                .trim_end_matches(['"', '\''])
                .trim_end();
            let value_start = before.is_empty() || before.ends_with(':') || before.ends_with('-');
            if value_start && line[b..].contains("}}") {
                return Some((at(b), "{{ … }}"));
            }
        }
    }
    None
}

/// Everything [`load`] needs besides the product's path.
pub struct LoadOptions<'a> {
    /// The repository root.
    pub root: &'a Path,
    /// Parser limits (and lenient duplicate keys).
    pub limits: &'a Limits,
    /// Whether to resolve `$ref`s.
    pub resolve_refs: bool,
}

/// Loads the product whose descriptor the walk found.
pub fn load(file: &ProductFile, opts: &LoadOptions<'_>) -> LoadedProduct {
    let (path, domain) = (file.path.as_str(), file.domain.as_deref());
    let format = Format::from_path(Path::new(path));
    let mut product = Product {
        path: path.to_string(),
        domain: domain.map(str::to_string),
        format,
        root: None,
        standard: None,
        standard_version: None,
        view: None,
        view_anchors: Vec::new(),
        files: vec![path.to_string()],
        ref_reads: Vec::new(),
        input: None,
        facts: data::product_facts(path, domain, format, None, None, None),
        skipped: None,
    };
    let mut findings = Vec::new();
    let full = opts.root.join(path);
    let read = if file.linked && !inside_repository(opts.root, &full).unwrap_or(false) {
        Err(ParseError::new(
            "io",
            "the descriptor is a symbolic link that leads out of the repository: not read",
            Pos::START,
        )
        .with_help("put the descriptor itself in the repository"))
    } else {
        read_limited(&full, opts.limits)
    };
    let bytes = match read {
        Ok(b) => b,
        Err(e) => {
            findings.push(parse_finding(path, path, domain, &e, Severity::Error));
            return LoadedProduct {
                product,
                findings,
                texts: vec![(path.to_string(), Arc::from(""))],
            };
        }
    };
    let text: Arc<str> = String::from_utf8_lossy(&bytes).into();
    if let Some((pos, marker)) = template_marker(&text) {
        if marker == "%SKELETON" || is_template_path(path) {
            product.skipped = Some(format!("a template ({marker})"));
            findings.push(Finding::builtin(
                POLICY_TEMPLATE,
                "template",
                path,
                domain,
                Severity::Info,
                format!("skipped: the file is a template ({marker} at {pos}), not a descriptor"),
                Location::new(path, pos, 1),
                Some("render the template before checking it, or list it under `exclude` in meshgate.toml".to_string()),
            ));
        } else {
            // A placeholder left in a real descriptor: skipping the file would pass it
            // unchecked, so it is in error (fails closed) until rendered or excluded.
            findings.push(Finding::builtin(
                POLICY_TEMPLATE,
                "unrendered",
                path,
                domain,
                Severity::Error,
                format!("template placeholder {marker} at {pos} in a descriptor outside any template folder: the file was not checked"),
                Location::new(path, pos, 1),
                Some("replace the placeholder with its value; if the file is a template, keep it under a folder named `template(s)`, `_template(s)` or `skeleton`, or list it under `exclude` in meshgate.toml".to_string()),
            ));
        }
        return LoadedProduct {
            product,
            findings,
            texts: vec![(path.to_string(), text)],
        };
    }
    let (mut root, warnings) = match descriptor::parse_with_warnings(&bytes, format, opts.limits) {
        Ok(r) => r,
        Err(e) => {
            findings.push(parse_finding(path, path, domain, &e, Severity::Error));
            return LoadedProduct {
                product,
                findings,
                texts: vec![(path.to_string(), text)],
            };
        }
    };
    for w in &warnings {
        findings.push(parse_finding(path, path, domain, w, Severity::Warning));
    }
    let resolved = if opts.resolve_refs {
        // Duplicate-key warnings of fragments (lenient mode), located in the fragment.
        let fragment_warnings = std::cell::RefCell::new(Vec::new());
        let reads = std::cell::RefCell::new(Vec::new());
        let load_ref = |rel: &str| -> Loaded {
            reads.borrow_mut().push(rel.to_string());
            let (loaded, warnings) = load_fragment(opts, rel);
            fragment_warnings
                .borrow_mut()
                .extend(warnings.into_iter().map(|w| (rel.to_string(), w)));
            loaded
        };
        let resolved = refs::resolve(&mut root, path, text.clone(), &load_ref);
        for (file, w) in fragment_warnings.into_inner() {
            findings.push(parse_finding(path, &file, domain, &w, Severity::Warning));
        }
        let mut reads = reads.into_inner();
        reads.sort();
        reads.dedup();
        product.ref_reads = reads;
        resolved
    } else {
        refs::Resolved {
            files: vec![path.to_string()],
            texts: vec![text.clone()],
            errors: Vec::new(),
        }
    };
    product.files = resolved.files.clone();
    for e in &resolved.errors {
        let severity = if e.broken {
            Severity::Error
        } else {
            Severity::Warning
        };
        findings.push(Finding::builtin(
            POLICY_REF,
            e.code,
            path,
            domain,
            severity,
            e.message.clone(),
            product.location(e.span),
            Some(e.help.clone()),
        ));
    }
    let (standard, version) = Standard::detect(&root);
    let (view, view_anchors) = match view::build(&root, standard, version.as_deref()) {
        Some(n) => (Some(n.view), n.anchors),
        None => (None, Vec::new()),
    };
    product.facts = data::product_facts(
        path,
        domain,
        format,
        Some(standard),
        version.as_deref(),
        view.as_ref(),
    );
    product.input = Some(root.to_rego());
    product.root = Some(root);
    product.standard = Some(standard);
    product.standard_version = version;
    product.view = view;
    product.view_anchors = view_anchors;
    LoadedProduct {
        product,
        findings,
        texts: resolved.files.into_iter().zip(resolved.texts).collect(),
    }
}

/// Whether `full` leads (through symbolic links) to a place inside the repository `root`.
fn inside_repository(root: &Path, full: &Path) -> std::io::Result<bool> {
    let target = full.canonicalize()?;
    Ok(root.canonicalize().is_ok_and(|r| target.starts_with(r)))
}

/// Loads a file reached by `$ref`, refusing symlinks that lead out of the repository; with
/// the duplicate-key warnings of lenient mode.
fn load_fragment(opts: &LoadOptions<'_>, rel: &str) -> (Loaded, Vec<ParseError>) {
    let full = opts.root.join(rel);
    if !full.exists() {
        return (Loaded::Missing, Vec::new());
    }
    match inside_repository(opts.root, &full) {
        Ok(true) => {}
        Ok(false) => return (Loaded::Outside, Vec::new()),
        Err(e) => return (Loaded::Broken(e.to_string()), Vec::new()),
    }
    let bytes = match read_limited(&full, opts.limits) {
        Ok(b) => b,
        Err(e) => return (Loaded::Broken(e.message), Vec::new()),
    };
    let text: Arc<str> = String::from_utf8_lossy(&bytes).into();
    // A fragment may be any JSON/YAML value (not only a mapping).
    let format = Format::from_path(Path::new(rel));
    match descriptor::parse_fragment(&bytes, format, opts.limits) {
        Ok((node, warnings)) => (Loaded::Parsed(text, node), warnings),
        Err(e) => (Loaded::Broken(e.to_string()), Vec::new()),
    }
}
