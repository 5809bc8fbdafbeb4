//! Which event ids a rule can match at all, read from its detection and condition, so that a
//! service-wide rule (`service: security`) asks the readers only for the records it could
//! match rather than the whole channel. The answer is an over-approximation: `Any` whenever
//! it cannot be told (a negation, a selection without a plain `EventID`, a condition this
//! small parser does not read). `sigma-rust` still evaluates the full rule on each record.

use serde_norway::Value;
use std::collections::BTreeSet;

/// The event ids a (part of a) rule can match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ids {
    Any,
    Some(BTreeSet<u32>),
}

impl Ids {
    fn and(self, other: Ids) -> Ids {
        match (self, other) {
            (Ids::Any, x) | (x, Ids::Any) => x,
            (Ids::Some(a), Ids::Some(b)) => Ids::Some(a.intersection(&b).copied().collect()),
        }
    }

    fn or(self, other: Ids) -> Ids {
        match (self, other) {
            (Ids::Any, _) | (_, Ids::Any) => Ids::Any,
            (Ids::Some(mut a), Ids::Some(b)) => {
                a.extend(b);
                Ids::Some(a)
            }
        }
    }
}

/// The event ids `detection` (the rule's `detection` mapping) can match.
pub fn event_ids(detection: &Value) -> Ids {
    let Some(map) = detection.as_mapping() else {
        return Ids::Any;
    };
    let Some(condition) = map.get("condition").and_then(Value::as_str) else {
        return Ids::Any;
    };
    let selections: Vec<(&str, Ids)> = map
        .iter()
        .filter_map(|(k, v)| Some((k.as_str()?, v)))
        .filter(|(k, _)| *k != "condition")
        .map(|(k, v)| (k, selection_ids(v)))
        .collect();
    let tokens = tokenize(condition);
    let mut p = Parser {
        tokens: &tokens,
        at: 0,
        selections: &selections,
    };
    match p.or() {
        Some(ids) if p.at == tokens.len() => ids,
        _ => Ids::Any,
    }
}

/// A selection's ids: a map with a plain `EventID` field, or a list of such maps.
fn selection_ids(v: &Value) -> Ids {
    match v {
        Value::Mapping(m) => {
            let Some(ids) = m.get("EventID") else {
                return Ids::Any;
            };
            let values: Vec<&Value> = match ids {
                Value::Sequence(s) => s.iter().collect(),
                v => vec![v],
            };
            let mut out = BTreeSet::new();
            for v in values {
                let n = match v {
                    Value::Number(n) => n.as_u64(),
                    Value::String(s) => s.trim().parse().ok(),
                    _ => None,
                };
                match n.and_then(|n| u32::try_from(n).ok()) {
                    Some(n) => out.insert(n),
                    None => return Ids::Any,
                };
            }
            Ids::Some(out)
        }
        Value::Sequence(items) if items.iter().all(Value::is_mapping) && !items.is_empty() => items
            .iter()
            .map(selection_ids)
            .reduce(Ids::or)
            .unwrap_or(Ids::Any),
        _ => Ids::Any,
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Tok<'a> {
    Open,
    Close,
    And,
    Or,
    Not,
    OneOf,
    AllOf,
    Word(&'a str),
}

fn tokenize(s: &str) -> Vec<Tok<'_>> {
    let mut out = Vec::new();
    let spaced: Vec<&str> = s.split_whitespace().collect();
    let mut i = 0;
    while i < spaced.len() {
        let mut w = spaced[i];
        i += 1;
        while let Some(rest) = w.strip_prefix('(') {
            out.push(Tok::Open);
            w = rest;
        }
        let mut closes = 0;
        while let Some(rest) = w.strip_suffix(')') {
            closes += 1;
            w = rest;
        }
        if !w.is_empty() {
            let lw = w.to_ascii_lowercase();
            let next_is_of = spaced.get(i).is_some_and(|n| n.eq_ignore_ascii_case("of"));
            out.push(match lw.as_str() {
                "and" => Tok::And,
                "or" => Tok::Or,
                "not" => Tok::Not,
                "1" | "any" if next_is_of => {
                    i += 1;
                    Tok::OneOf
                }
                "all" if next_is_of => {
                    i += 1;
                    Tok::AllOf
                }
                _ => Tok::Word(w),
            });
        }
        out.extend(std::iter::repeat_n(Tok::Close, closes));
    }
    out
}

struct Parser<'t, 's> {
    tokens: &'t [Tok<'t>],
    at: usize,
    selections: &'s [(&'s str, Ids)],
}

impl Parser<'_, '_> {
    fn peek(&self) -> Option<&Tok<'_>> {
        self.tokens.get(self.at)
    }

    fn or(&mut self) -> Option<Ids> {
        let mut left = self.and()?;
        while self.peek() == Some(&Tok::Or) {
            self.at += 1;
            left = left.or(self.and()?);
        }
        Some(left)
    }

    fn and(&mut self) -> Option<Ids> {
        let mut left = self.not()?;
        while self.peek() == Some(&Tok::And) {
            self.at += 1;
            left = left.and(self.not()?);
        }
        Some(left)
    }

    fn not(&mut self) -> Option<Ids> {
        if self.peek() == Some(&Tok::Not) {
            self.at += 1;
            self.not()?;
            return Some(Ids::Any);
        }
        self.atom()
    }

    fn atom(&mut self) -> Option<Ids> {
        let tok = self.tokens.get(self.at)?;
        self.at += 1;
        match tok {
            Tok::Open => {
                let inner = self.or()?;
                (self.tokens.get(self.at) == Some(&Tok::Close)).then_some(())?;
                self.at += 1;
                Some(inner)
            }
            Tok::OneOf | Tok::AllOf => {
                let Some(Tok::Word(pattern)) = self.tokens.get(self.at) else {
                    return None;
                };
                self.at += 1;
                let matching = self
                    .selections
                    .iter()
                    .filter(|(name, _)| *pattern == "them" || glob(pattern, name))
                    .map(|(_, ids)| ids.clone());
                if *tok == Tok::OneOf {
                    matching.reduce(Ids::or)
                } else {
                    matching.reduce(Ids::and)
                }
            }
            Tok::Word(name) => self
                .selections
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, ids)| ids.clone()),
            _ => None,
        }
    }
}

/// `*` globbing over selection names.
fn glob(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let mut rest = name;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(part) else {
                return false;
            };
            rest = r;
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(yaml: &str) -> Ids {
        event_ids(&serde_norway::from_str(yaml).unwrap())
    }

    fn some(v: &[u32]) -> Ids {
        Ids::Some(v.iter().copied().collect())
    }

    #[test]
    fn reads_event_ids_through_the_condition() {
        assert_eq!(
            ids("selection: {EventID: 1102}\ncondition: selection"),
            some(&[1102])
        );
        assert_eq!(
            ids("selection: {EventID: [4624, '4625'], LogonType: 3}\nfilter: {TargetUserName: x}\ncondition: selection and not filter"),
            some(&[4624, 4625])
        );
        assert_eq!(
            ids("sel_a: {EventID: 1}\nsel_b: {EventID: 2}\ncondition: 1 of sel_*"),
            some(&[1, 2])
        );
        assert_eq!(
            ids("sel_a: {EventID: 1}\nsel_b: {Image: x}\ncondition: 1 of sel_*"),
            Ids::Any
        );
        assert_eq!(
            ids("sel_a: {EventID: 1}\nsel_b: {Image: x}\ncondition: all of them"),
            some(&[1])
        );
        assert_eq!(
            ids("a: {EventID: 1}\nb: {EventID: 2}\nc: {X: y}\ncondition: (a or b) and not c"),
            some(&[1, 2])
        );
        assert_eq!(
            ids("a:\n  - {EventID: 1}\n  - {EventID: 3}\ncondition: a"),
            some(&[1, 3])
        );
        assert_eq!(ids("a: {EventID: 1}\ncondition: not a"), Ids::Any);
        assert_eq!(ids("keywords: [x]\ncondition: keywords"), Ids::Any);
        assert_eq!(ids("a: {EventID: 1}\ncondition: a |"), Ids::Any);
        assert_eq!(ids("a: {EventID|gt: 1}\ncondition: a"), Ids::Any);
    }

    #[test]
    fn globs_selection_names() {
        assert!(glob("sel*", "selection"));
        assert!(glob("*_x", "a_x"));
        assert!(glob("a*b*c", "aXbYc"));
        assert!(!glob("a*b", "ac"));
        assert!(glob("a", "a"));
    }
}
