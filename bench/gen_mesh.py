#!/usr/bin/env python3
"""Generate a synthetic mesh of N products for benchmarks.

Copies the products of fixtures/mesh (ODPS v0.9/v1.0 YAML and JSON, DPDS JSON
and YAML, 2-4 KB each) round-robin into `domains/<domain>-<k>/products/p<i>/`,
giving each copy its own product id and its folder's domain, so findings stay
realistic (the same mix of violations as the fixtures) and ids stay unique.
Each round of copies (one copy of every fixture product) gets its own data
contract ids (`<uuid>-g<round>`), as in a real mesh where a contract has one
producer and a few consumers: without that, thousands of products would offer
the same contract, and `check --changed-since` would see each changed product
linked to thousands of others.

usage: gen_mesh.py N OUTDIR
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "fixtures" / "mesh"
# Data contract ids of the fixtures: UUIDs not followed by a suffix (product ids are
# suffixed first, so they no longer match).
CONTRACT = re.compile(r'\b([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?![-\w])')
ID_PATTERNS = [
    re.compile(r'^id: (\S+)$', re.M),
    re.compile(r'^  fullyQualifiedName: (\S+)$', re.M),
    re.compile(r'"fullyQualifiedName": "([^"]+)"'),
    re.compile(r'^  "id": "([^"]+)"', re.M),
]


def templates():
    out = []
    for path in sorted(FIXTURE.glob("domains/*/products/*/*")):
        domain = path.parts[-4]
        text = path.read_text(encoding="utf-8")
        pid = None
        for pat in ID_PATTERNS:
            m = pat.search(text)
            if m:
                pid = m.group(1)
                break
        out.append((path.name, domain, text, pid))
    return out


def main():
    n = int(sys.argv[1])
    out = pathlib.Path(sys.argv[2])
    tpls = templates()
    domains = max(4, n // 250)
    for i in range(n):
        name, tdomain, text, pid = tpls[i % len(tpls)]
        domain = f"{tdomain}-{i % domains:03d}"
        if pid:
            text = text.replace(pid, f"{pid}-{i}")
        text = CONTRACT.sub(rf"\g<1>-g{i // len(tpls)}", text)
        text = re.sub(rf'(domain"?: "?){re.escape(tdomain)}\b', rf"\g<1>{domain}", text)
        d = out / "domains" / domain / "products" / f"p{i:05d}"
        d.mkdir(parents=True, exist_ok=True)
        (d / name).write_text(text, encoding="utf-8")
    for k in range(domains):
        for tdomain in sorted({t[1] for t in tpls}):
            d = out / "domains" / f"{tdomain}-{k:03d}"
            if d.is_dir():
                (d / "domain.yaml").write_text(
                    f"name: {tdomain}-{k:03d}\nowner: team-{tdomain}\ndescription: Synthetic domain {k} of {tdomain}.\n",
                    encoding="utf-8",
                )


if __name__ == "__main__":
    main()
