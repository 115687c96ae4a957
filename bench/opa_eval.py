#!/usr/bin/env python3
"""Evaluate a meshgate policy bundle with the Go OPA engine (reference run).

meshgate evaluates its Rego policies with the regorus crate. This harness runs
the very same policies, on the very same inputs, in the Go OPA engine (v1.20,
embedded through the `opa-golib-python-bindings` wheel's C bridge
`libopabridge.so`), so that the two engines' findings and speed can be compared.

    meshgate inspect --bundle <mesh repo> > bundle.json
    python3 bench/opa_eval.py bundle.json              # findings + timing
    python3 bench/opa_eval.py --timing-only < bundle.json
    python3 bench/opa_eval.py --test policies          # run the OPA unit tests
    python3 bench/opa_eval.py --eval DIR QUERY         # `opa eval -i DIR/input.json
                                                       #  -d DIR/data.json -d DIR/policies QUERY`
                                                       # on `meshgate inspect --write DIR`

(bench/make_bundle.py builds the same bundle without meshgate, as a fallback.)

Bundle (input):
    {"version": 1,
     "policies": [{"file", "package", "domain": null | "<domain>",
                   "rules": ["exception", "deny", "deny_x", "warn", ...],
                   "source": "<rego>"}],
     "data": {"meshgate": {"mesh": {...}}},
     "products": [{"path", "domain", "facts": {...}, "input": {...}}]}

Rules are recognised by name as conftest does: deny, violation and warn,
each optionally followed by `_`-separated groups of letters and digits
(deny_missing_owner). A package's `exception` rule is evaluated too and its
members reported raw (rule "exception"): applying it is the caller's job.

Output (stdout, JSON):
    {"findings": [{"product", "policy", "rule", "value"}],   # not with --timing-only
     "errors": [...],
     "timing": {"products", "eval_seconds", "products_per_second", ...}}

How it evaluates: one OPA instance holds the global policies (domain null);
each domain that has local policies gets an instance of its own holding the
global policies plus that domain's ones, so a domain's policies never see, nor
are seen by, another domain's products. `data` is added once per instance.
A policy that does not compile is reported and left out (one bad module would
otherwise make OPA reject every query). A local policy is also left out when
its package is reserved (`meshgate.*`), is not under `<domain>.`, or is the
package of a global policy (a domain must not extend or shadow a global
policy). All products that share an instance are evaluated by one query:

    r := [[p.path, x] | some p in input.products; f := p.facts; i := p.input;
          x := {"<pkg>": {"deny": data.<pkg>.deny, ...}, ...}
               with input as i with data.meshgate.product as f]

with OPA input {"products": [{"path", "facts", "input"}, ...]}. Measured on
fixtures/mesh (16 products, 9 policies; best of 20 runs) this is the cheapest
correct way, 12 ms: one query per product (`--strategy combined`, the same
query text for every product with `... with data.meshgate.product as
input.facts with input as input.input`, so OPA prepares it once) takes 16 ms,
one query per policy rule (`per-rule`) 38 ms, and putting the facts into the
query text as a literal (`literal`, which makes OPA compile a new query for
every product) 49 ms, and far more on the first run. Separate per-product `data` is not an option:
OPA's data is deep-merged, so `data.meshgate.product` cannot be replaced
without a new instance (and a new compile) per product. If the batched query
fails (say one policy hits an eval conflict on one product), the products are
evaluated again one by one, and a failing product policy by policy, rule by
rule, so that the error is pinned to its product and policy and every other
finding is still reported.

Exit codes: 0 done (findings and per-policy errors are in the JSON), 2 bad
usage or unreadable bundle, 77 skipped (the OPA library cannot be had here),
with --test: 1 when a test failed or errored.

The OPA library is taken from --lib PATH, else $MESHGATE_OPA_LIB, else
bench/.opa/opa_bindings/libopabridge.so, which is fetched on first use with
`pip download` of the wheel (no other package is installed). Standard library
and ctypes only.
"""

import argparse
import shutil
import ctypes
import json
import os
import re
import select
import subprocess
import sys
import time
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
CACHE_DIR = HERE / ".opa"
WHEEL_NAME = "opa-golib-python-bindings"
WHEEL_VERSION = os.environ.get("MESHGATE_OPA_WHEEL_VERSION", "0.4.4")  # OPA v1.20.2
RULES = ("deny", "violation", "warn")
# conftest's rule names: a family, optionally with `_`-separated suffixes
# (`deny_missing_owner`), and `exception` (evaluated raw: the caller applies it).
RULE_NAME_RE = re.compile(r"^(?:(deny|violation|warn)(?:_[A-Za-z0-9]+)*|exception)$")
SKIP_EXIT = 77


class Skip(Exception):
    pass


# ---------------------------------------------------------------------------
# Getting the library
# ---------------------------------------------------------------------------


def fetch_library():
    """Download the wheel with pip and unpack the bridge library."""
    target = CACHE_DIR / "opa_bindings" / "libopabridge.so"
    if target.is_file():
        return target
    # One download folder per process: tests may fetch concurrently.
    wheel_dir = CACHE_DIR / f"wheel-{os.getpid()}"
    wheel_dir.mkdir(parents=True, exist_ok=True)
    spec = f"{WHEEL_NAME}=={WHEEL_VERSION}" if WHEEL_VERSION else WHEEL_NAME
    cmd = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check",
        # The wheel declares Requires-Python >= 3.14 but only ships a C
        # library, which any Python can load with ctypes.
        "--python-version", "3.14", "--only-binary=:all:", spec, "-d", str(wheel_dir),
    ]
    print(f"opa_eval: fetching {spec} with pip ...", file=sys.stderr)
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.SubprocessError) as e:
        raise Skip(f"cannot run pip to fetch {spec}: {e}")
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise Skip(f"pip could not fetch {spec}: {' / '.join(tail)}")
    wheels = sorted(wheel_dir.glob("*.whl"))
    if not wheels:
        raise Skip(f"pip fetched no wheel for {spec}")
    member = "opa_bindings/libopabridge.so"
    try:
        with zipfile.ZipFile(wheels[-1]) as zf:
            data = zf.read(member)
    except (KeyError, zipfile.BadZipFile) as e:
        raise Skip(f"{wheels[-1].name} has no usable {member}: {e}")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".tmp-{os.getpid()}")
    tmp.write_bytes(data)
    tmp.replace(target)
    shutil.rmtree(wheel_dir, ignore_errors=True)  # only the library is kept
    return target


def find_library(cli_path):
    if cli_path:
        path = Path(cli_path)
        if not path.is_file():
            raise Skip(f"--lib {cli_path}: no such file")
        return path
    env = os.environ.get("MESHGATE_OPA_LIB")
    if env:
        path = Path(env)
        if not path.is_file():
            raise Skip(f"MESHGATE_OPA_LIB={env}: no such file")
        return path
    return fetch_library()


# ---------------------------------------------------------------------------
# The C bridge
#
#   uint64_t OpaNew(void);
#   void     OpaDestroy(uint64_t h);
#   void     OpaFreeString(char *s);
#   char    *OpaAddPolicy(uint64_t h, char *module_name, char *rego_source);
#   char    *OpaAddData(uint64_t h, char *dotted_path, char *json);      // deep merge
#   char    *OpaEvalQuery(uint64_t h, char *query, char *input_json,
#                         int coverage, int trace);
#   char    *OpaEvalDocument(uint64_t h, char *dotted_path, char *input_json,
#                            int coverage, int trace);
#   (also OpaRegisterBuiltin and OpaCompileFilters, unused here)
#
# Every char* result is a malloc'd JSON envelope, freed with OpaFreeString:
#   {"result": <OPA result set>, "prints": [...] | null, ...}   on success
#   {"error": {"code": "parse_error" | "prepare_error" | "eval_error" | ...,
#              "message": "..."}}                                on failure
# An empty input string means "no input".
# ---------------------------------------------------------------------------


class OpaError(Exception):
    def __init__(self, code, message):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class Bridge:
    def __init__(self, path):
        try:
            lib = ctypes.CDLL(str(path))
        except OSError as e:
            raise Skip(f"cannot load {path}: {e}")
        u64, cp, vp, i = ctypes.c_uint64, ctypes.c_char_p, ctypes.c_void_p, ctypes.c_int
        for name, res, args in (
            ("OpaNew", u64, []),
            ("OpaDestroy", None, [u64]),
            ("OpaFreeString", None, [vp]),
            ("OpaAddPolicy", vp, [u64, cp, cp]),
            ("OpaAddData", vp, [u64, cp, cp]),
            ("OpaEvalQuery", vp, [u64, cp, cp, i, i]),
            ("OpaEvalDocument", vp, [u64, cp, cp, i, i]),
        ):
            try:
                fn = getattr(lib, name)
            except AttributeError:
                raise Skip(f"{path} has no symbol {name}")
            fn.restype = res
            fn.argtypes = args
        self.lib = lib
        self.path = str(path)

    def call(self, fn, *args):
        ptr = fn(*args)
        if not ptr:
            raise OpaError("internal", "the bridge returned NULL")
        try:
            raw = ctypes.string_at(ptr)
        finally:
            self.lib.OpaFreeString(ptr)
        env = json.loads(raw)
        err = env.get("error")
        if err:
            if isinstance(err, dict):
                raise OpaError(err.get("code", "unknown"), err.get("message", ""))
            raise OpaError("unknown", str(err))
        return env


def _bytes(text):
    if "\0" in text:
        raise OpaError("invalid_argument", "string contains a NUL character")
    return text.encode("utf-8", "surrogatepass")


def _json(value):
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class Opa:
    """One OPA instance (policies + data)."""

    def __init__(self, bridge):
        self.b = bridge
        self.h = bridge.lib.OpaNew()

    def close(self):
        if self.h is not None:
            self.b.lib.OpaDestroy(self.h)
            self.h = None

    def add_policy(self, name, source):
        self.b.call(self.b.lib.OpaAddPolicy, self.h, _bytes(name), _bytes(source))

    def add_data(self, value, path=""):
        self.b.call(self.b.lib.OpaAddData, self.h, _bytes(path), _json(value))

    def query(self, query, input_bytes=b""):
        """Evaluate a query; returns the list of bindings of the result set."""
        env = self.b.call(self.b.lib.OpaEvalQuery, self.h, _bytes(query), input_bytes, 0, 0)
        for p in env.get("prints") or []:
            print(f"{p.get('location')}: {p.get('message')}", file=sys.stderr)
        return [r.get("bindings", {}) for r in env.get("result") or []]


# ---------------------------------------------------------------------------
# Bundle handling
# ---------------------------------------------------------------------------


def data_ref(package, *more):
    """`data["a"]["b"]...`: a reference that works for any package segment."""
    segs = package.split(".") + list(more)
    return "data" + "".join("[" + json.dumps(s) + "]" for s in segs)


def compile_error(bridge, policy, others=()):
    """Error text if the policy does not compile (on its own, or with `others`: the modules it
    may call, e.g. a shared helper package), else None."""
    opa = Opa(bridge)
    try:
        for o in others:
            opa.add_policy(o["file"], o["source"])
        opa.add_policy(policy["file"], policy["source"])
        opa.query("true")  # forces compilation of every module
        return None
    except OpaError as e:
        return e.message if e.code in ("parse_error", "prepare_error") else str(e)
    finally:
        opa.close()


def compile_errors_together(bridge, files):
    """Error text if `files` do not compile as one set, else None."""
    opa = Opa(bridge)
    try:
        for f in files:
            opa.add_policy(str(f), f.read_text(encoding="utf-8"))
        opa.query("true")
        return None
    except OpaError as e:
        return e.message if e.code in ("parse_error", "prepare_error") else str(e)
    finally:
        opa.close()


PACKAGE_LINE_RE = re.compile(r"^package[ \t]+([^\s#]+)", re.M)
REF_PART_RE = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)|\["([^"]*)"\]')
RULE_LINE_RE = re.compile(r"^((?:deny|violation|warn)(?:_[A-Za-z0-9]+)*|exception)\b", re.M)


def is_rule(name):
    return isinstance(name, str) and RULE_NAME_RE.match(name) is not None


def rule_order(name):
    """exception first, then by family (RULES order), then by name."""
    m = RULE_NAME_RE.match(name)
    family = m.group(1) if m else None
    return (RULES.index(family) + 1 if family else 0, name)


def members(value):
    """The members of a rule's value: a set or array's elements, nothing for an
    undefined rule, else the value itself (a single-value rule)."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def package_of(source):
    """The package of a module as a dotted name (`a["b-c"].d` -> `a.b-c.d`)."""
    m = PACKAGE_LINE_RE.search(source)
    if not m:
        return None
    parts = [a or b for a, b in REF_PART_RE.findall(m.group(1))]
    return ".".join(parts) if parts else None


def complete_entry(pol):
    """Fill in `package` and `rules` when the bundle leaves them out (meshgate's
    `inspect --bundle` may give only file, domain and source)."""
    if not isinstance(pol, dict) or not isinstance(pol.get("source"), str):
        return pol
    pol = dict(pol)
    if not isinstance(pol.get("package"), str):
        pol["package"] = package_of(pol["source"])
    if not isinstance(pol.get("rules"), list):
        found = set(RULE_LINE_RE.findall(pol["source"]))
        pol["rules"] = sorted(found, key=rule_order)
    return pol


class Plan:
    """Which policies go where, and the per-instance queries."""

    def __init__(self, bundle, bridge):
        self.errors = []
        policies = [complete_entry(p) for p in bundle.get("policies") or []]
        good = []
        shaped = [p for p in policies if not self.policy_shape_error(p)]
        # The global policies together: when they compile as a set (a policy may call a
        # helper package of another file), they are checked with each other; otherwise each
        # on its own, so that one broken module is reported and left out alone.
        globals_ = [p for p in shaped if p.get("domain") is None]
        set_ok = bool(globals_) and compile_error(bridge, globals_[-1], globals_[:-1]) is None
        for pol in policies:
            err = self.policy_shape_error(pol)
            if err:
                self.errors.append({"file": pol.get("file"), "package": pol.get("package"),
                                    "domain": pol.get("domain"), "error": err})
                continue
            others = [g for g in globals_ if g is not pol] if set_ok else []
            err = compile_error(bridge, pol, others)
            if err:
                self.errors.append({"file": pol["file"], "package": pol["package"],
                                    "domain": pol.get("domain"), "error": err})
                continue
            good.append(pol)
        self.global_policies = [p for p in good if p.get("domain") is None]
        global_pkgs = {p["package"] for p in self.global_policies}
        self.local = {}
        for pol in good:
            dom = pol.get("domain")
            if dom is None:
                continue
            pkg = pol["package"]
            why = None
            if pkg in global_pkgs:
                why = f"package {pkg} is a global policy's package; a domain may not extend or shadow it"
            elif not pkg.startswith(dom + "."):
                why = f"package {pkg} is not under this domain's namespace {dom}.*"
            if why:
                self.errors.append({"file": pol["file"], "package": pkg, "domain": dom,
                                    "error": "local policy left out: " + why})
                continue
            self.local.setdefault(dom, []).append(pol)

    @staticmethod
    def policy_shape_error(pol):
        if not isinstance(pol, dict):
            return "policy entry is not an object"
        for key in ("file", "package", "source"):
            if not isinstance(pol.get(key), str):
                return f"policy entry has no string {key!r}"
        pkg = pol["package"]
        if pkg == "meshgate" or pkg.startswith("meshgate."):
            return f"package {pkg} is reserved (meshgate.*)"
        return None

    def policies_for(self, domain):
        return self.global_policies + self.local.get(domain, [])


def rules_by_package(policies):
    """{package: [rules]} over all files of each package, in a stable order."""
    out = {}
    for pol in policies:
        rules = out.setdefault(pol["package"], [])
        for r in pol.get("rules") or []:
            if is_rule(r) and r not in rules:
                rules.append(r)
    return {pkg: sorted(rules, key=rule_order) for pkg, rules in sorted(out.items()) if rules}


WITH = " with data.meshgate.product as input.facts with input as input.input"


def rules_object(rules):
    parts = []
    for pkg, rs in rules.items():
        inner = ", ".join(f"{json.dumps(r)}: {data_ref(pkg, r)}" for r in rs)
        parts.append(f"{json.dumps(pkg)}: {{{inner}}}")
    return "{" + ", ".join(parts) + "}"


def combined_query(rules):
    return "r := " + rules_object(rules) + WITH


def batched_query(rules):
    # The `with` values must be plain variables: OPA evaluates a `with` value
    # such as `p.input` (p bound by the comprehension) to nothing, silently.
    return ("r := [[p.path, x] | some p in input.products; f := p.facts; i := p.input; x := "
            + rules_object(rules) + " with input as i with data.meshgate.product as f]")


class Instance:
    def __init__(self, bridge, name, policies, data):
        self.name = name
        self.opa = Opa(bridge)
        for pol in policies:
            self.opa.add_policy(pol["file"], pol["source"])
        self.opa.add_data(data if isinstance(data, dict) else {})
        self.rules = rules_by_package(policies)
        self.q_all = combined_query(self.rules)
        self.q_batch = batched_query(self.rules)

    def eval_rule(self, pkg, rule, input_bytes):
        res = self.opa.query("r := " + data_ref(pkg, rule) + WITH, input_bytes)
        return res[0]["r"] if res else []

    def eval_literal(self, product, pkg, rule):
        """Alternative strategy: facts as a literal in the query text."""
        q = ("r := " + data_ref(pkg, rule) + " with data.meshgate.product as "
             + json.dumps(product.get("facts"), sort_keys=True))
        res = self.opa.query(q, _json(product.get("input")))
        return res[0]["r"] if res else []


def product_input(product):
    return _json({"facts": product.get("facts"), "input": product.get("input")})


def evaluate_batch(inst, products):
    """All products of one instance in one query; None if that query fails."""
    inp = _json({"products": [{"path": p.get("path"), "facts": p.get("facts"), "input": p.get("input")}
                              for p in products]})
    try:
        res = inst.opa.query(inst.q_batch, inp)
    except OpaError:
        return None
    if not res or len(res[0]["r"]) != len(products):
        return None  # some product's result was undefined: redo one by one
    out = []
    for path, by_pkg in res[0]["r"]:
        for pkg, by_rule in by_pkg.items():
            for rule, values in by_rule.items():
                for v in members(values):
                    out.append({"product": path, "policy": pkg, "rule": rule, "value": v})
    return out


def evaluate_product(inst, product, strategy, skip=(), on_begin=None):
    """Yield ("finding", dict) / ("error", dict) for one product."""
    path = product.get("path")
    inp = product_input(product)
    if strategy in ("combined", "batched") and not skip:
        if on_begin:
            on_begin(path, None)
        try:
            res = inst.opa.query(inst.q_all, inp)
        except OpaError:
            res = None  # pin the error down below
        if res:
            for pkg, by_rule in res[0]["r"].items():
                for rule, values in by_rule.items():
                    for v in members(values):
                        yield "finding", {"product": path, "policy": pkg, "rule": rule, "value": v}
            return
    for pkg, rules in inst.rules.items():
        if pkg in skip:
            continue
        if on_begin:
            on_begin(path, pkg)
        for rule in rules:
            try:
                if strategy == "literal":
                    values = inst.eval_literal(product, pkg, rule)
                else:
                    values = inst.eval_rule(pkg, rule, inp)
            except OpaError as e:
                yield "error", {"product": path, "policy": pkg, "rule": rule, "error": str(e)}
                continue
            for v in members(values):
                yield "finding", {"product": path, "policy": pkg, "rule": rule, "value": v}


def build_instances(bridge, plan, bundle):
    data = bundle.get("data") or {}
    instances = {None: Instance(bridge, "global", plan.policies_for(None), data)}
    for dom in sorted(plan.local):
        instances[dom] = Instance(bridge, dom, plan.policies_for(dom), data)
    return instances


def product_domain(product):
    dom = product.get("domain")
    if dom is None and isinstance(product.get("facts"), dict):
        dom = product["facts"].get("domain")
    return dom


def run_inprocess(bridge, bundle, strategy, repeat):
    plan = Plan(bundle, bridge)
    t0 = time.perf_counter()
    instances = build_instances(bridge, plan, bundle)
    load_seconds = time.perf_counter() - t0
    products = bundle.get("products") or []
    findings, errors = [], list(plan.errors)
    runs = []
    groups = {}
    for product in products:
        dom = product_domain(product)
        groups.setdefault(dom if dom in instances else None, []).append(product)
    for n in range(max(1, repeat)):
        got_f, got_e = [], []
        t0 = time.perf_counter()
        for key, group in groups.items():
            inst = instances[key]
            if strategy == "batched":
                batch = evaluate_batch(inst, group)
                if batch is not None:
                    got_f.extend(batch)
                    continue
            for product in group:
                for kind, item in evaluate_product(inst, product, strategy):
                    (got_f if kind == "finding" else got_e).append(item)
        runs.append(time.perf_counter() - t0)
        if n == 0:
            findings, errors = got_f, errors + got_e
    for inst in instances.values():
        inst.opa.close()
    return findings, errors, timing(len(products), runs, load_seconds, strategy, len(instances))


def timing(n_products, runs, load_seconds, strategy, n_instances):
    best = min(runs) if runs else 0.0
    return {
        "products": n_products,
        "eval_seconds": round(best, 6),
        "products_per_second": round(n_products / best, 1) if best > 0 else None,
        "runs": len(runs),
        "mean_eval_seconds": round(sum(runs) / len(runs), 6) if runs else 0.0,
        "first_run_seconds": round(runs[0], 6) if runs else 0.0,
        "load_seconds": round(load_seconds, 6),
        "instances": n_instances,
        "strategy": strategy,
        "engine": "opa v1.20 (opa-golib-python-bindings " + WHEEL_VERSION + ")",
    }


# ---------------------------------------------------------------------------
# --timeout: evaluate in a worker process that can be killed
#
# A call into the Go library cannot be interrupted, so with --timeout the
# products are evaluated policy by policy in a child process. When one
# (product, policy) evaluation runs past the limit, the child is killed, the
# pair is reported as an error, and a new child carries on where it stopped.
# ---------------------------------------------------------------------------


def worker_main(lib_path):
    job = json.load(sys.stdin)
    bridge = Bridge(lib_path)
    bundle = job["bundle"]
    done = set(job.get("done", []))
    skip = {}
    for prod, pkg in job.get("skip", []):
        skip.setdefault(prod, set()).add(pkg)
    out = sys.stdout

    def emit(obj):
        out.write(json.dumps(obj) + "\n")
        out.flush()

    plan = Plan(bundle, bridge)
    if not job.get("done") and not job.get("skip"):
        for e in plan.errors:
            emit({"error": e})
    instances = build_instances(bridge, plan, bundle)
    emit({"ready": True})
    for product in bundle.get("products") or []:
        path = product.get("path")
        if path in done:
            continue
        inst = instances.get(product_domain(product), instances[None])
        t0 = time.perf_counter()
        for kind, item in evaluate_product(inst, product, "per-rule", skip.get(path, set()),
                                           on_begin=lambda p, pkg: emit({"begin": [p, pkg]})):
            emit({kind: item})
        emit({"done": path, "seconds": time.perf_counter() - t0})
    emit({"end": True})


def run_with_timeout(lib_path, bundle, limit):
    findings, errors, done, skip = [], [], [], []
    eval_seconds = 0.0
    start = time.perf_counter()
    while True:
        child = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--worker", "--lib", str(lib_path)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        child.stdin.write(json.dumps({"bundle": bundle, "done": done, "skip": skip}))
        child.stdin.close()
        current, began, buf, finished = None, None, "", False
        # Results of the product under way are kept back until it is done: a
        # killed worker's product is evaluated again (minus the policy that
        # hung), and must not be reported twice.
        pending_f, pending_e = [], []
        fd = child.stdout.fileno()
        while True:
            wait = None if began is None else max(0.0, began + limit - time.monotonic())
            ready, _, _ = select.select([fd], [], [], wait)
            if not ready:  # the current evaluation is past its limit
                child.kill()
                child.wait()
                prod, pkg = current
                errors.append({"product": prod, "policy": pkg,
                               "error": f"timeout: evaluation ran past {limit:g} s and was stopped"})
                skip.append([prod, pkg])
                break
            chunk = os.read(fd, 65536).decode("utf-8")
            if not chunk:
                child.wait()
                if not finished:
                    errors.append({"product": current[0] if current else None,
                                   "policy": current[1] if current else None,
                                   "error": f"worker died (exit code {child.returncode})"})
                    if current and current[1]:
                        skip.append(list(current))
                    elif current:
                        done.append(current[0])
                    else:
                        return findings, errors, eval_seconds, time.perf_counter() - start
                break
            buf += chunk
            while "\n" in buf:
                line, buf = buf.split("\n", 1)
                msg = json.loads(line)
                if "begin" in msg:
                    current, began = tuple(msg["begin"]), time.monotonic()
                elif "finding" in msg:
                    pending_f.append(msg["finding"])
                elif "error" in msg:
                    (pending_e if current else errors).append(msg["error"])
                elif "done" in msg:
                    findings.extend(pending_f)
                    errors.extend(pending_e)
                    pending_f, pending_e = [], []
                    done.append(msg["done"])
                    eval_seconds += msg["seconds"]
                    current, began = None, None
                elif "ready" in msg:
                    began = None
                elif "end" in msg:
                    finished = True
        if finished:
            child.wait()
            return findings, errors, eval_seconds, time.perf_counter() - start


# ---------------------------------------------------------------------------
# --test: run OPA unit tests (test_* rules)
# ---------------------------------------------------------------------------

PKG_RE = re.compile(r"^package\s+([A-Za-z0-9_.\[\]\"-]+)", re.M)
TEST_RE = re.compile(r"^(test_[A-Za-z0-9_]+)\b", re.M)


def run_tests(bridge, dirs, verbose):
    files = []
    for d in dirs:
        p = Path(d)
        files.extend(sorted(p.rglob("*.rego")) if p.is_dir() else [p])
    opa = Opa(bridge)
    broken = 0
    # The files compile together (a test may call a function another file defines, such as
    # meshgate's test helper); only when they do not is each file checked on its own, to
    # name the broken ones.
    together = compile_errors_together(bridge, files)
    for f in files:
        err = together and compile_error(bridge, {"file": str(f), "source": f.read_text(encoding="utf-8")})
        if err:
            print(f"ERROR {f}: {err}")
            broken += 1
            continue
        opa.add_policy(str(f), f.read_text(encoding="utf-8"))
    if together and not broken:
        print(f"ERROR: the files do not compile together: {together}")
        broken += 1
    passed = failed = 0
    for f in files:
        text = f.read_text(encoding="utf-8")
        m = PKG_RE.search(text)
        if not m:
            continue
        pkg = m.group(1)
        for name in dict.fromkeys(TEST_RE.findall(text)):
            try:
                # As in `opa test`: a test passes only when its value is `true`.
                rs = opa.query("x := " + data_ref(pkg, name))
                ok = bool(rs) and rs[0].get("x") is True
                why = "undefined" if not rs else "produced " + json.dumps(rs[0].get("x"))
            except OpaError as e:
                ok, why = False, str(e)
            if ok:
                passed += 1
                if verbose:
                    print(f"PASS {pkg}.{name}")
            else:
                failed += 1
                print(f"FAIL {pkg}.{name}: {why}")
    opa.close()
    print(f"{passed} passed, {failed + broken} failed")
    return 0 if failed == 0 and broken == 0 else 1


# ---------------------------------------------------------------------------
# --eval: `opa eval` on what `meshgate inspect --write DIR` wrote
# ---------------------------------------------------------------------------


def run_eval(bridge, directory, query):
    """Prints the value of QUERY as `opa eval -i DIR/input.json -d DIR/data.json
    -d DIR/policies` would compute it (null when undefined)."""
    d = Path(directory)
    opa = Opa(bridge)
    try:
        for f in sorted((d / "policies").rglob("*.rego")):
            opa.add_policy(str(f), f.read_text(encoding="utf-8"))
        opa.add_data(json.loads((d / "data.json").read_text(encoding="utf-8")))
        input_bytes = (d / "input.json").read_bytes()
        bindings = opa.query("x := " + query, input_bytes)
        result = bindings[0].get("x") if bindings else None
    except OpaError as e:
        print(f"opa_eval: {e}", file=sys.stderr)
        return 2
    finally:
        opa.close()
    print(json.dumps(result, sort_keys=True, ensure_ascii=False))
    return 0


# ---------------------------------------------------------------------------


def sort_key_finding(f):
    return (str(f.get("product")), str(f.get("policy")), str(f.get("rule")),
            json.dumps(f.get("value"), sort_keys=True, ensure_ascii=False))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("bundle", nargs="?", help="bundle JSON file (default: stdin)")
    ap.add_argument("--lib", help="path to libopabridge.so (else $MESHGATE_OPA_LIB, else bench/.opa/)")
    ap.add_argument("--timing-only", action="store_true", help="omit the findings from the output")
    ap.add_argument("--strategy", choices=("batched", "combined", "per-rule", "literal"),
                    default="batched",
                    help="one query for all products of an instance (default), one per product, "
                         "one per product and policy rule, or one per product and policy rule "
                         "with the facts as a literal in the query text")
    ap.add_argument("--repeat", type=int, default=1,
                    help="evaluate all products N times and report the best run")
    ap.add_argument("--timeout", type=float,
                    help="stop any single (product, policy) evaluation after this many seconds "
                         "(evaluates policy by policy in a killable worker process)")
    ap.add_argument("--test", nargs="+", metavar="DIR",
                    help="run the OPA unit tests (test_* rules) of the .rego files under DIR")
    ap.add_argument("--eval", nargs=2, metavar=("DIR", "QUERY"),
                    help="evaluate QUERY on DIR/input.json, DIR/data.json and DIR/policies "
                         "(what `meshgate inspect --write DIR` writes), as `opa eval` does")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    try:
        lib_path = find_library(args.lib)
        if args.worker:
            worker_main(lib_path)
            return 0
        bridge = Bridge(lib_path)
    except Skip as e:
        print(f"skipped: {e}", file=sys.stderr)
        return SKIP_EXIT

    if args.test:
        return run_tests(bridge, args.test, args.verbose)
    if args.eval:
        return run_eval(bridge, *args.eval)

    try:
        if args.bundle and args.bundle != "-":
            with open(args.bundle, encoding="utf-8") as fh:
                bundle = json.load(fh)
        else:
            bundle = json.load(sys.stdin)
    except (OSError, ValueError) as e:
        print(f"opa_eval: cannot read bundle: {e}", file=sys.stderr)
        return 2
    if not isinstance(bundle, dict) or bundle.get("version") != 1 or not isinstance(bundle.get("products", []), list):
        print("opa_eval: not a version 1 meshgate bundle", file=sys.stderr)
        return 2

    if args.timeout:
        findings, errors, eval_s, _wall = run_with_timeout(lib_path, bundle, args.timeout)
        n = len(bundle.get("products") or [])
        t = timing(n, [eval_s], 0.0, "per-rule (worker, --timeout)", None)
        t["timed_out"] = sum(1 for e in errors if str(e.get("error", "")).startswith("timeout:"))
        t["note"] = "eval_seconds covers the products that finished; timed-out ones are left out"
    else:
        findings, errors, t = run_inprocess(bridge, bundle, args.strategy, args.repeat)

    # Descriptors the bundle producer could not use (bench/make_bundle.py
    # lists them under "errors"; meshgate reports them itself).
    for e in bundle.get("errors") or []:
        errors.append(dict(e, stage="bundle") if isinstance(e, dict) else {"stage": "bundle", "error": e})
    findings.sort(key=sort_key_finding)
    errors.sort(key=lambda e: json.dumps(e, sort_keys=True))
    out = {}
    if not args.timing_only:
        out["findings"] = findings
    out["errors"] = errors
    out["timing"] = t
    json.dump(out, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
