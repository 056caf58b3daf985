//! Group selections: numbers, ranges and `all` against a list of any
//! length, exact names and patterns. Every position chosen is in the
//! list, sorted and once.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tenant_bot::tenant::input::selection;

fuzz_target!(|input: (&str, u8, Vec<String>)| {
    let (typed, count, names) = input;
    let count = usize::from(count);
    let sorted_within = |positions: &[usize], len: usize| {
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
        assert!(positions.iter().all(|&p| p < len), "{positions:?} of {len}");
    };
    if let Ok(positions) = selection::numbers(typed, count) {
        sorted_within(&positions, count);
    }
    let order = selection::natural_order(&names);
    assert_eq!(order.len(), names.len());
    if let Ok(positions) = selection::shown(typed, &order) {
        sorted_within(&positions, names.len());
    }
    if let Ok(positions) = selection::by_pattern(typed, &names) {
        assert!(positions.iter().all(|&p| p < names.len()));
    }
    let _ = selection::by_names(typed, &names);
    let _ = selection::page(&names, &order, usize::from(count % 8));
});
