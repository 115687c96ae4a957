#!/usr/bin/env python3
"""Build a meshgate policy bundle from a mesh repository, without meshgate.

The real producer of the bundle is `meshgate inspect --bundle <mesh repo>`;
this script is a stand-in (and a cross-check) that follows the same contract,
so that bench/opa_eval.py can be run before or without a meshgate build:

    python3 bench/make_bundle.py fixtures/mesh > /tmp/bundle.json
    python3 bench/opa_eval.py /tmp/bundle.json

What it collects from <mesh repo>:
  * domains/<domain>/domain.yaml                     -> data.meshgate.mesh.domains
  * domains/<domain>/products/<product>/<descriptor> -> products, where the
    descriptor is dataproduct.yaml|yml|json, <name>.odps.yaml|yml|json,
    <name>.dpds.json or <name>.dpds.yaml|yml
  * policies/*.rego at the repo root, or the shipped library (this
    repository's policies/) when the repo has none      -> domain null
  * domains/<domain>/policies/*.rego                 -> domain "<domain>"
  (*_test.rego files are left out unless --include-tests.)
  * data.meshgate.mesh.index: {"product_ids": {id: [paths]},
    "output_contracts": {contractId: [paths]}}, meshgate's index for
    cross-product policies (see mesh_index below)

YAML is read with the YAML 1.2 core schema (`yes`/`no`/`on`/`off` are
strings, `010` is ten, no timestamps, no `<<` merge keys), as meshgate does.
A descriptor that cannot be used is left out of the bundle and listed in the
bundle's extra "errors" key (and on stderr): invalid UTF-8, invalid YAML or
JSON, duplicate keys, an empty file, several YAML documents, an alias
expansion larger than --max-nodes nodes, or nesting deeper than --max-depth.

Standard detection: an object with `kind: DataProduct` and `apiVersion` is
"bitol-odps", one with `dataProductDescriptor` is "dpds", anything else is
"custom". Needs PyYAML (`pip install pyyaml`).
"""

import argparse
import json
import re
import sys
from pathlib import Path

try:
    import yaml
except ImportError:  # pragma: no cover
    yaml = None

HERE = Path(__file__).resolve().parent
SHIPPED_POLICIES = HERE.parent / "policies"

DESCRIPTOR_RE = re.compile(
    r"^(dataproduct\.(yaml|yml|json)|.+\.odps\.(yaml|yml|json)|.+\.dpds\.(json|yaml|yml))$")
PACKAGE_RE = re.compile(r"^package\s+([^\s#]+)", re.M)
RULE_RE = re.compile(r"^(deny|violation|warn)\b", re.M)


class LoadError(Exception):
    pass


# ---------------------------------------------------------------------------
# YAML 1.2 core schema on top of PyYAML
# ---------------------------------------------------------------------------

if yaml is not None:

    class Yaml12Loader(yaml.SafeLoader):
        pass

    # Forget PyYAML's YAML 1.1 implicit types; add the 1.2 core ones.
    Yaml12Loader.yaml_implicit_resolvers = {}
    _CORE = [
        ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", list("~nN") + [""]),
        ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
        ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", list("-+0123456789")),
        ("tag:yaml.org,2002:float",
         r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
         r"|[-+]?(?:\.inf|\.Inf|\.INF)|\.nan|\.NaN|\.NAN)$", list("-+0123456789.")),
    ]
    for _tag, _re, _first in _CORE:
        Yaml12Loader.add_implicit_resolver(_tag, re.compile(_re), _first)

    def _int(loader, node):
        v = loader.construct_scalar(node)
        if v.startswith("0o"):
            return int(v[2:], 8)
        if v.startswith("0x"):
            return int(v[2:], 16)
        return int(v, 10)

    def _float(loader, node):
        v = loader.construct_scalar(node)
        if v.lower().lstrip("+-") in (".inf", ".nan"):
            return v  # not representable in JSON: keep the text
        return float(v)

    def _bool(loader, node):
        return loader.construct_scalar(node).lower() == "true"

    def _mapping(loader, node, deep=False):
        seen = {}
        for key_node, _ in node.value:
            key = loader.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                raise LoadError(f"line {key_node.start_mark.line + 1}: a mapping key must be a scalar")
            if key in seen:
                raise LoadError(f"line {key_node.start_mark.line + 1}: duplicate key {key!r} "
                                f"(first at line {seen[key] + 1})")
            seen[key] = key_node.start_mark.line
        return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)

    def _map_constructor(loader, node):
        data = {}
        yield data
        data.update(_mapping(loader, node))

    Yaml12Loader.add_constructor("tag:yaml.org,2002:int", _int)
    Yaml12Loader.add_constructor("tag:yaml.org,2002:float", _float)
    Yaml12Loader.add_constructor("tag:yaml.org,2002:bool", _bool)
    Yaml12Loader.add_constructor("tag:yaml.org,2002:map", _map_constructor)
    # 1.1 types that the 1.2 core schema does not have are plain strings.
    Yaml12Loader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_yaml_str)


def expanded_size(node, limit, max_depth):
    """Node count of the document once aliases are expanded (stops past limit)."""
    memo, active = {}, set()

    def size(n, depth):
        if depth > max_depth:
            raise LoadError(f"nesting deeper than {max_depth} levels")
        key = id(n)
        if key in memo:
            return memo[key]
        if key in active:
            raise LoadError("recursive alias")
        active.add(key)
        total = 1
        if isinstance(n, yaml.SequenceNode):
            for child in n.value:
                total += size(child, depth + 1)
                if total > limit:
                    break
        elif isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                total += size(k, depth + 1) + size(v, depth + 1)
                if total > limit:
                    break
        active.discard(key)
        memo[key] = total
        return total

    return size(node, 0)


def load_yaml(text, max_nodes, max_depth):
    if yaml is None:
        raise LoadError("PyYAML is not installed (pip install pyyaml)")
    try:
        docs = list(yaml.compose_all(text, Loader=Yaml12Loader))
    except yaml.YAMLError as e:
        raise LoadError(f"invalid YAML: {e}".replace("\n", " "))
    except RecursionError:
        raise LoadError(f"nesting deeper than the parser can follow (> {max_depth} levels)")
    if len(docs) == 0:
        raise LoadError("empty descriptor")
    if len(docs) > 1:
        raise LoadError(f"{len(docs)} YAML documents in one descriptor; expected exactly one")
    node = docs[0]
    if expanded_size(node, max_nodes, max_depth) > max_nodes:
        raise LoadError(f"alias expansion larger than {max_nodes} nodes (YAML alias bomb?)")
    loader = Yaml12Loader("")
    try:
        value = loader.construct_document(node)
    except yaml.YAMLError as e:
        raise LoadError(f"invalid YAML: {e}".replace("\n", " "))
    finally:
        loader.dispose()
    # Materialise shared alias targets as independent JSON.
    return json.loads(json.dumps(value))


def load_json(text, max_depth):
    def pairs(items):
        obj = {}
        for k, v in items:
            if k in obj:
                raise LoadError(f"duplicate key {k!r}")
            obj[k] = v
        return obj

    if not text.strip():
        raise LoadError("empty descriptor")
    try:
        value = json.loads(text, object_pairs_hook=pairs)
    except json.JSONDecodeError as e:
        raise LoadError(f"invalid JSON: {e}")
    except RecursionError:
        raise LoadError(f"nesting deeper than the parser can follow (> {max_depth} levels)")
    return value


def load_file(path, max_nodes, max_depth):
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise LoadError(f"not valid UTF-8 (byte {e.start})")
    if text.startswith("\ufeff"):
        text = text[1:]
    if path.suffix == ".json":
        return load_json(text, max_depth), "json"
    return load_yaml(text, max_nodes, max_depth), "yaml"


def standard_of(descriptor):
    if isinstance(descriptor, dict):
        if descriptor.get("kind") == "DataProduct" and "apiVersion" in descriptor:
            return "bitol-odps"
        if "dataProductDescriptor" in descriptor:
            return "dpds"
    return "custom"


def mesh_index(mesh_products):
    """data.meshgate.mesh.index, as meshgate builds it, so that cross-product
    policies need not scan the whole mesh for every product:
      product_ids:      {<ODPS id | DPDS info.fullyQualifiedName>: [product paths]}
      output_contracts: {<ODPS outputPorts[].contractId |
                          DPDS interfaceComponents.outputPorts[].x-contractId>: [product paths]}
    Any string counts (as in meshgate); paths are sorted and listed once."""
    ids, contracts = {}, {}
    for path in sorted(mesh_products):
        p = mesh_products[path]
        d = p["descriptor"]
        if not isinstance(d, dict):
            continue
        if p["standard"] == "bitol-odps":
            pid = d.get("id")
            ports = d.get("outputPorts")
            key = "contractId"
        elif p["standard"] == "dpds":
            info = d.get("info")
            pid = info.get("fullyQualifiedName") if isinstance(info, dict) else None
            ic = d.get("interfaceComponents")
            ports = ic.get("outputPorts") if isinstance(ic, dict) else None
            key = "x-contractId"
        else:
            continue
        if isinstance(pid, str):
            ids.setdefault(pid, []).append(path)
        for port in ports if isinstance(ports, list) else []:
            cid = port.get(key) if isinstance(port, dict) else None
            if isinstance(cid, str) and path not in contracts.get(cid, []):
                contracts.setdefault(cid, []).append(path)
    return {"product_ids": ids, "output_contracts": contracts}


# ---------------------------------------------------------------------------


def policy_entry(file_label, path, domain):
    source = path.read_text(encoding="utf-8")
    m = PACKAGE_RE.search(source)
    return {
        "file": file_label,
        "package": m.group(1) if m else None,
        "domain": domain,
        "rules": sorted(set(RULE_RE.findall(source)), key=("deny", "violation", "warn").index),
        "source": source,
    }


def rego_files(folder, include_tests):
    return [p for p in sorted(folder.glob("*.rego"))
            if include_tests or not p.name.endswith("_test.rego")]


def build(root, include_tests=False, max_nodes=1_000_000, max_depth=512):
    root = Path(root)
    errors, products, mesh_products, domains = [], [], {}, {}
    policies = []
    root_policies = root / "policies"
    if root_policies.is_dir():
        for p in rego_files(root_policies, include_tests):
            policies.append(policy_entry(p.relative_to(root).as_posix(), p, None))
    else:
        for p in rego_files(SHIPPED_POLICIES, include_tests):
            policies.append(policy_entry("policies/" + p.name, p, None))

    for ddir in sorted(p for p in (root / "domains").glob("*") if p.is_dir()):
        name = ddir.name
        dfile = ddir / "domain.yaml"
        descriptor = None
        if dfile.is_file():
            try:
                descriptor, _ = load_file(dfile, max_nodes, max_depth)
            except LoadError as e:
                errors.append({"file": dfile.relative_to(root).as_posix(), "error": str(e)})
        domains[name] = {"name": name, "path": f"domains/{name}/domain.yaml", "descriptor": descriptor}
        pdir = ddir / "policies"
        if pdir.is_dir():
            for p in rego_files(pdir, include_tests):
                policies.append(policy_entry(p.relative_to(root).as_posix(), p, name))
        for prod_dir in sorted(p for p in (ddir / "products").glob("*") if p.is_dir()):
            for f in sorted(prod_dir.iterdir()):
                if not f.is_file() or not DESCRIPTOR_RE.match(f.name):
                    continue
                rel = f.relative_to(root).as_posix()
                try:
                    descriptor, fmt = load_file(f, max_nodes, max_depth)
                except LoadError as e:
                    errors.append({"file": rel, "error": str(e)})
                    print(f"make_bundle: {rel}: {e}", file=sys.stderr)
                    continue
                if descriptor is None:
                    errors.append({"file": rel, "error": "empty descriptor"})
                    print(f"make_bundle: {rel}: empty descriptor", file=sys.stderr)
                    continue
                facts = {"path": rel, "domain": name, "standard": standard_of(descriptor), "format": fmt}
                products.append({"path": rel, "domain": name, "facts": facts, "input": descriptor})
                mesh_products[rel] = dict(facts, descriptor=descriptor)

    index = mesh_index(mesh_products)
    return {
        "version": 1,
        "policies": policies,
        "data": {"meshgate": {"mesh": {"domains": domains, "products": mesh_products, "index": index}}},
        "products": products,
        "errors": errors,  # make_bundle extension: descriptors left out
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description="Build a meshgate policy bundle (stand-in for "
                                             "`meshgate inspect --bundle`).")
    ap.add_argument("repo", help="mesh repository root (has domains/)")
    ap.add_argument("-o", "--output", help="write here instead of stdout")
    ap.add_argument("--include-tests", action="store_true", help="also bundle *_test.rego files")
    ap.add_argument("--max-nodes", type=int, default=1_000_000)
    ap.add_argument("--max-depth", type=int, default=512)
    args = ap.parse_args(argv)
    if yaml is None:
        print("make_bundle: PyYAML is not installed (pip install pyyaml)", file=sys.stderr)
        return 2
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 4 * args.max_depth + 200))
    bundle = build(args.repo, args.include_tests, args.max_nodes, args.max_depth)
    text = json.dumps(bundle, indent=1, ensure_ascii=False)
    if args.output:
        Path(args.output).write_text(text + "\n", encoding="utf-8")
    else:
        sys.stdout.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
