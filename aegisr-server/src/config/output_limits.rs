//! `client-output-buffer-limit`: `<class> <hard> <soft> <soft-seconds>` for each client
//! class (normal, replica, pubsub), as Redis writes it. CONFIG SET may name only some
//! classes; the others keep their values.

use super::units::parse_memory;
use crate::pubsub::OutputLimit;

pub const DEFAULT: &str = "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60";

const CLASSES: [&str; 3] = ["normal", "slave", "pubsub"];

fn class_name(name: &str) -> Option<&'static str> {
    match name.to_ascii_lowercase().as_str() {
        "normal" => Some("normal"),
        "slave" | "replica" => Some("slave"),
        "pubsub" => Some("pubsub"),
        _ => None,
    }
}

fn parse_groups(text: &str) -> Result<Vec<(&'static str, OutputLimit)>, String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.is_empty() || words.len() % 4 != 0 {
        return Err("Wrong number of arguments in buffer limit configuration.".into());
    }
    words
        .chunks(4)
        .map(|group| {
            let class = class_name(group[0]).ok_or("Invalid client class specified in buffer limit configuration.")?;
            let bad = || "Error in hard, soft or soft_seconds setting in buffer limit configuration.".to_owned();
            let hard = parse_memory(group[1]).ok_or_else(bad)?;
            let soft = parse_memory(group[2]).ok_or_else(bad)?;
            let soft_secs = group[3].parse::<u64>().map_err(|_| bad())?;
            Ok((class, OutputLimit { hard, soft, soft_secs }))
        })
        .collect()
}

/// `raw` applied over `current`, in CONFIG GET's form (bytes, every class).
pub fn merge(current: &str, raw: &str) -> Result<String, String> {
    let mut limits = parse_groups(current).unwrap_or_default();
    for (class, limit) in parse_groups(raw)? {
        match limits.iter_mut().find(|(c, _)| *c == class) {
            Some(slot) => slot.1 = limit,
            None => limits.push((class, limit)),
        }
    }
    let text = CLASSES
        .iter()
        .map(|class| {
            let l = limits.iter().find(|(c, _)| c == class).map(|(_, l)| *l).unwrap_or_default();
            format!("{class} {} {} {}", l.hard, l.soft, l.soft_secs)
        })
        .collect::<Vec<_>>()
        .join(" ");
    Ok(text)
}

/// The limit of one class in a normalized value.
pub fn limit_of(value: &str, class: &str) -> OutputLimit {
    let class = class_name(class).unwrap_or("normal");
    parse_groups(value).unwrap_or_default().into_iter().find(|(c, _)| *c == class).map(|(_, l)| l).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_updates_keep_other_classes() {
        let merged = merge(DEFAULT, "pubsub 1mb 512kb 10").unwrap();
        assert_eq!(merged, "normal 0 0 0 slave 268435456 67108864 60 pubsub 1048576 524288 10");
        assert_eq!(limit_of(&merged, "pubsub"), OutputLimit { hard: 1048576, soft: 524288, soft_secs: 10 });
        assert_eq!(limit_of(&merge(&merged, "replica 1 2 3").unwrap(), "slave").soft_secs, 3);
    }

    #[test]
    fn bad_values_are_refused() {
        assert!(merge(DEFAULT, "pubsub 1mb").unwrap_err().contains("Wrong number"));
        assert!(merge(DEFAULT, "other 1 1 1").unwrap_err().contains("Invalid client class"));
        assert!(merge(DEFAULT, "pubsub x 1 1").unwrap_err().contains("hard, soft"));
    }
}
