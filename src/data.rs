//! The shape of the Rego data every policy sees, defined once: `data.meshgate.product` (one
//! product's facts), `data.meshgate.mesh` (every domain and product, and the lookup index), and
//! how a product is handed to a prepared engine (`with`, or the VM's data).

use std::collections::{BTreeMap, BTreeSet};

use rayon::prelude::*;
use regorus::Value;

use crate::descriptor::{Format, Node, Standard};

/// Builds a Rego object from key-value pairs.
fn obj(pairs: Vec<(&str, Value)>) -> Value {
    pairs
        .into_iter()
        .map(|(k, v)| (Value::from(k), v))
        .collect::<regorus::value::Object>()
        .into()
}

fn opt_str(s: Option<&str>) -> Value {
    s.map_or(Value::Null, Value::from)
}

/// `data.meshgate.product` of a product: `{"path", "domain", "standard", "standard_version",
/// "format", "view"}`. `view` is absent (not null, not undefined) when the product has none
/// (a `custom` descriptor, or one that did not parse).
pub fn product_facts(
    path: &str,
    domain: Option<&str>,
    format: Format,
    standard: Option<Standard>,
    version: Option<&str>,
    view: Option<&Node>,
) -> Value {
    let mut pairs = vec![
        ("path", Value::from(path)),
        ("domain", opt_str(domain)),
        ("standard", opt_str(standard.map(Standard::as_str))),
        ("standard_version", opt_str(version)),
        ("format", Value::from(format.as_str())),
    ];
    if let Some(v) = view {
        pairs.push(("view", v.to_rego()));
    }
    obj(pairs)
}

/// A domain as the mesh data holds it.
pub struct DomainEntry<'a> {
    /// Folder name.
    pub name: &'a str,
    /// Repo-relative path of `domain.yaml`.
    pub path: Option<&'a str>,
    /// Its parsed descriptor.
    pub descriptor: Option<&'a Node>,
}

/// A product as the mesh data holds it: its facts and its descriptor.
pub struct ProductEntry<'a> {
    /// `data.meshgate.product` of the product ([`product_facts`]).
    pub facts: &'a Value,
    /// The descriptor as `input` (absent when it did not parse).
    pub input: Option<&'a Value>,
}

/// `data` as every policy sees it, without the per-product part:
/// `{"meshgate": {"mesh": {"domains", "products", "index"}, "params": {…}}}`. A product's entry
/// is its facts plus `descriptor` (`null` when it did not parse). `params` are the
/// `[params."<policy id>"]` tables of meshgate.toml, by policy id (`{}` when there are none).
pub fn mesh_data(
    domains: &[DomainEntry<'_>],
    products: &[ProductEntry<'_>],
    params: Value,
) -> Value {
    let domains: regorus::value::Object = domains
        .iter()
        .map(|d| {
            (
                Value::from(d.name),
                obj(vec![
                    ("name", Value::from(d.name)),
                    ("path", opt_str(d.path)),
                    (
                        "descriptor",
                        d.descriptor.map_or(Value::Null, Node::to_rego),
                    ),
                ]),
            )
        })
        .collect();
    // Built in parallel (it is serial time otherwise: ~30 ms on 10k products), then collected
    // in order.
    let entries: Vec<(Value, Value)> = products
        .par_iter()
        .map(|p| {
            let mut entry = p.facts.clone();
            if let Ok(map) = entry.as_object_mut() {
                map.insert(
                    Value::from("descriptor"),
                    p.input.cloned().unwrap_or(Value::Null),
                );
            }
            (p.facts["path"].clone(), entry)
        })
        .collect();
    let index = index(products);
    let products: regorus::value::Object = entries.into_iter().collect();
    obj(vec![(
        "meshgate",
        obj(vec![
            (
                "mesh",
                obj(vec![
                    ("domains", domains.into()),
                    ("products", products.into()),
                    ("index", index),
                ]),
            ),
            ("params", params),
        ]),
    )])
}

/// Lookup tables over the whole mesh, so cross-product rules cost O(1) per product instead of
/// a scan of every product, from the normalized views (paths in product order):
/// - `product_ids`: `{view.id: [paths]}`;
/// - `output_contracts`: `{view.output_ports[].contract: [paths]}`;
/// - `product_names`: `{domain: {view.name: [paths]}}` (the domain folder the product is in);
/// - `contract_statuses`: `{contract: {status: [paths]}}`, the lower-cased `view.status` of
///   the products offering each contract, so a rule on what a product consumes is a lookup
///   per input port, however many products offer the contract;
/// - `dependency_cycles`: `{path: [paths]}`, for each product on a dependency cycle (a product
///   depends on those whose output contracts its `view.input_ports[].ref` name) the sorted
///   paths of its cycle (strongly connected component), computed once for the mesh.
fn index(products: &[ProductEntry<'_>]) -> Value {
    let mut ids: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut contracts: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut names: BTreeMap<&str, BTreeMap<&str, Vec<&str>>> = BTreeMap::new();
    for p in products {
        let Value::String(path) = &p.facts["path"] else {
            continue;
        };
        let view = &p.facts["view"];
        if let Value::String(id) = &view["id"] {
            ids.entry(id.as_ref()).or_default().push(path);
        }
        if let (Value::String(domain), Value::String(name)) = (&p.facts["domain"], &view["name"]) {
            names
                .entry(domain.as_ref())
                .or_default()
                .entry(name.as_ref())
                .or_default()
                .push(path);
        }
        if let Value::Array(ports) = &view["output_ports"] {
            for port in ports.iter() {
                if let Value::String(c) = &port["contract"] {
                    let list = contracts.entry(c.as_ref()).or_default();
                    if list.last() != Some(&path.as_ref()) {
                        list.push(path);
                    }
                }
            }
        }
    }
    // The dependency graph, with the contracts as nodes of their own (a product -> the
    // contracts it consumes -> the products offering them), so that its size is the number
    // of ports, however many products offer one contract. A cycle between products is a
    // strongly connected component of this graph with more than one node.
    let position: BTreeMap<&str, usize> = products
        .iter()
        .enumerate()
        .filter_map(|(i, p)| match &p.facts["path"] {
            Value::String(path) => Some((path.as_ref(), i)),
            _ => None,
        })
        .collect();
    let contract_node: BTreeMap<&str, usize> = contracts
        .keys()
        .enumerate()
        .map(|(k, c)| (*c, products.len() + k))
        .collect();
    let mut edges: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); products.len() + contracts.len()];
    for (i, p) in products.iter().enumerate() {
        let Value::Array(ports) = &p.facts["view"]["input_ports"] else {
            continue;
        };
        for port in ports.iter() {
            if let Value::String(r) = &port["ref"] {
                if let Some(&c) = contract_node.get(r.as_ref()) {
                    edges[i].insert(c);
                }
            }
        }
    }
    for (contract, producers) in &contracts {
        if let Some(&c) = contract_node.get(contract) {
            edges[c].extend(producers.iter().filter_map(|p| position.get(p).copied()));
        }
    }
    let mut cycles: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for component in cyclic_components(&edges) {
        let mut paths: Vec<&str> = component
            .iter()
            .filter_map(|&i| match &products.get(i)?.facts["path"] {
                Value::String(path) => Some(path.as_ref()),
                _ => None,
            })
            .collect();
        paths.sort_unstable();
        for path in &paths {
            cycles.insert(path, paths.clone());
        }
    }
    let mut statuses: BTreeMap<&str, BTreeMap<String, Vec<&str>>> = BTreeMap::new();
    for (contract, producers) in &contracts {
        for producer in producers {
            let Some(&j) = position.get(producer) else {
                continue;
            };
            if let Value::String(status) = &products[j].facts["view"]["status"] {
                statuses
                    .entry(contract)
                    .or_default()
                    .entry(status.to_lowercase())
                    .or_default()
                    .push(producer);
            }
        }
    }
    let table = |m: BTreeMap<&str, Vec<&str>>| -> Value {
        m.into_iter()
            .map(|(k, v)| {
                let paths: Vec<Value> = v.into_iter().map(Value::from).collect();
                (Value::from(k), Value::from(paths))
            })
            .collect::<regorus::value::Object>()
            .into()
    };
    let names: regorus::value::Object = names
        .into_iter()
        .map(|(domain, m)| (Value::from(domain), table(m)))
        .collect();
    let statuses: regorus::value::Object = statuses
        .into_iter()
        .map(|(contract, m)| {
            let by_status: regorus::value::Object = m
                .into_iter()
                .map(|(status, paths)| {
                    let paths: Vec<Value> = paths.into_iter().map(Value::from).collect();
                    (Value::from(status), Value::from(paths))
                })
                .collect();
            (Value::from(contract), by_status.into())
        })
        .collect();
    obj(vec![
        ("product_ids", table(ids)),
        ("output_contracts", table(contracts)),
        ("product_names", names.into()),
        ("contract_statuses", statuses.into()),
        ("dependency_cycles", table(cycles)),
    ])
}

/// The strongly connected components of a directed graph that contain a cycle (more than one
/// node, or one node with an edge to itself): Tarjan's algorithm, iterative so that a long
/// dependency chain cannot overflow the stack. O(nodes + edges).
fn cyclic_components(edges: &[BTreeSet<usize>]) -> Vec<Vec<usize>> {
    const UNSEEN: usize = usize::MAX;
    let n = edges.len();
    let mut index = vec![UNSEEN; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut next = 0;
    let mut out = Vec::new();
    for root in 0..n {
        if index[root] != UNSEEN {
            continue;
        }
        // (node, its successors still to visit)
        let mut work: Vec<(usize, std::collections::btree_set::Iter<'_, usize>)> = Vec::new();
        index[root] = next;
        low[root] = next;
        next += 1;
        stack.push(root);
        on_stack[root] = true;
        work.push((root, edges[root].iter()));
        while let Some((v, successors)) = work.last_mut() {
            let v = *v;
            if let Some(&w) = successors.next() {
                if index[w] == UNSEEN {
                    index[w] = next;
                    low[w] = next;
                    next += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    work.push((w, edges[w].iter()));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            work.pop();
            if let Some((parent, _)) = work.last() {
                low[*parent] = low[*parent].min(low[v]);
            }
            if low[v] == index[v] {
                let mut component = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 || edges[v].contains(&v) {
                    out.push(component);
                }
            }
        }
    }
    out
}

/// The `with` clause that gives a query the product's descriptor as `input` and its facts as
/// `data.meshgate.product`, both taken from the [`wrapper`] set as the engine's input.
///
/// Facts go through `with` rather than `Engine::add_data` because adding data un-prepares a
/// regorus engine: every product would then pay for re-analysing all policies (measured: ~75% of
/// the run). `with` keeps one prepared engine per worker. OPA gives the same semantics, so
/// `opa eval` on what `meshgate inspect` prints reproduces the verdict.
pub const WITH_PRODUCT: &str =
    " with input as input.descriptor with data.meshgate.product as input.product";

/// The engine input that [`WITH_PRODUCT`] unpacks: `{"descriptor": input, "product": facts}`.
pub fn wrapper(input: &Value, facts: &Value) -> Value {
    obj(vec![
        ("descriptor", input.clone()),
        ("product", facts.clone()),
    ])
}

/// `data` with the product's facts at `data.meshgate.product` (for the VM, which has no
/// `with`; the mesh is shared, not copied).
pub fn with_product(data: &Value, facts: &Value) -> Value {
    let mut data = data.clone();
    if let Ok(root) = data.as_object_mut() {
        let meshgate = root.get_or_insert_with(Value::from("meshgate"), Value::new_object);
        if let Ok(m) = meshgate.as_object_mut() {
            m.insert(Value::from("product"), facts.clone());
        }
    }
    data
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_product_without_view_has_no_view_key() {
        let facts = product_facts("a.yaml", None, Format::Yaml, None, None, None);
        let data = mesh_data(
            &[],
            &[ProductEntry {
                facts: &facts,
                input: None,
            }],
            Value::new_object(),
        );
        let entry = &data["meshgate"]["mesh"]["products"]["a.yaml"];
        let keys: Vec<String> = entry
            .as_object()
            .map(|m| {
                m.keys()
                    .map(|k| k.as_string().map(|s| s.to_string()).unwrap_or_default())
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(
            keys,
            [
                "descriptor",
                "domain",
                "format",
                "path",
                "standard",
                "standard_version"
            ]
        );
        assert_eq!(entry["descriptor"], Value::Null);
    }

    #[test]
    fn the_index_has_names_per_domain_and_the_dependency_graph() {
        let facts = |path: &str, domain: &str, view: serde_json::Value| -> Value {
            let json = serde_json::json!({"path": path, "domain": domain, "view": view});
            Value::from_json_str(&json.to_string()).expect("facts")
        };
        let a = facts(
            "a.yaml",
            "d",
            serde_json::json!({"name": "n", "output_ports": [{"contract": "ca"}],
                               "input_ports": [{"ref": "cb"}, {"ref": "nobody"}]}),
        );
        let b = facts(
            "b.yaml",
            "d",
            serde_json::json!({"name": "n", "status": "Deprecated", "output_ports": [{"contract": "cb"}],
                               "input_ports": [{"ref": "ca"}, {"ref": "ca"}, {"ref": "cb"}]}),
        );
        let c = facts("c.yaml", "e", serde_json::json!({"name": "n"}));
        let products: Vec<ProductEntry<'_>> = [&a, &b, &c]
            .into_iter()
            .map(|facts| ProductEntry { facts, input: None })
            .collect();
        let data = mesh_data(&[], &products, Value::new_object());
        let index = serde_json::to_value(&data["meshgate"]["mesh"]["index"]).expect("JSON");
        assert_eq!(
            index["product_names"],
            serde_json::json!({"d": {"n": ["a.yaml", "b.yaml"]}, "e": {"n": ["c.yaml"]}})
        );
        assert_eq!(
            index["dependency_cycles"],
            serde_json::json!({"a.yaml": ["a.yaml", "b.yaml"], "b.yaml": ["a.yaml", "b.yaml"]})
        );
        assert_eq!(
            index["contract_statuses"],
            serde_json::json!({"cb": {"deprecated": ["b.yaml"]}})
        );
    }

    #[test]
    fn cyclic_components_are_cycles_and_self_loops_only() {
        let graph = |adj: &[&[usize]]| -> Vec<BTreeSet<usize>> {
            adj.iter().map(|e| e.iter().copied().collect()).collect()
        };
        // 0 -> 1 -> 2 (a chain), 3 -> 3 (a self loop), 4 -> 5 -> 6 -> 4 and 6 -> 2.
        let g = graph(&[&[1], &[2], &[], &[3], &[5], &[6], &[4, 2]]);
        let mut found: Vec<Vec<usize>> = cyclic_components(&g)
            .into_iter()
            .map(|mut c| {
                c.sort_unstable();
                c
            })
            .collect();
        found.sort();
        assert_eq!(found, vec![vec![3], vec![4, 5, 6]]);
        // A long chain does not overflow the stack.
        let chain: Vec<BTreeSet<usize>> = (0..200_000)
            .map(|i| {
                if i + 1 < 200_000 {
                    [i + 1].into()
                } else {
                    BTreeSet::new()
                }
            })
            .collect();
        assert!(cyclic_components(&chain).is_empty());
    }
}
