//! Glue over regorus shared by loading and evaluation: a Rego v1 engine, the execution timer,
//! and the parsing of regorus's error text into a location and a message.

use regorus::Engine;

use crate::descriptor::Pos;

/// A regorus engine that reads Rego v1, as OPA 1.x does.
pub fn new_engine() -> Engine {
    let mut e = Engine::new();
    e.set_rego_v0(false);
    e
}

/// The execution timer of one product's evaluation (interpreter and VM alike).
pub fn execution_timer(
    timeout: std::time::Duration,
) -> regorus::utils::limits::ExecutionTimerConfig {
    regorus::utils::limits::ExecutionTimerConfig {
        limit: timeout,
        check_interval: std::num::NonZeroU32::new(64).unwrap_or(std::num::NonZeroU32::MIN),
    }
}

/// Splits a regorus error (`--> file:line:col … error: message`) into location and message.
pub fn split_regorus_error(text: &str) -> (Option<(String, Pos)>, String) {
    let loc = text.lines().find_map(|l| {
        let rest = l.trim().strip_prefix("--> ")?;
        let mut it = rest.rsplitn(3, ':');
        let col = it.next()?.trim().parse::<usize>().ok()?;
        let line = it.next()?.trim().parse::<usize>().ok()?;
        let file = it.next()?.to_string();
        Some((file, Pos::new(line, col)))
    });
    let message = match text.rfind("error: ") {
        Some(i) if loc.is_some() => text[i + 7..].trim().to_string(),
        _ => text.trim().to_string(),
    };
    (loc, message)
}
