//! Redis's partial quicksort (`pqsort.c`, from NetBSD's qsort, after Bentley & McIlroy's
//! "Engineering a Sort Function"): sorts only as much as needed to put the right elements
//! at ranks `lrange..=rrange`. GEOSEARCH ... COUNT n uses it when fewer than all results are
//! returned; the algorithm is not stable, so elements that compare equal come out in the
//! order this exact algorithm leaves them, which is what we reproduce.
//!
//! This is the version Redis 7.0 ships, without the later "no swap: switch to insertion
//! sort" shortcut (which changes the order of ties).
//!
//! Redis recurses into the left part and loops on the right; the parts are disjoint, so an
//! explicit work list gives the same result with no recursion depth driven by the input.

use std::cmp::Ordering;

/// Sorts `v` so that positions `lrange..=rrange` hold what a full sort would put there,
/// leaving every element where Redis's `pqsort` leaves it.
pub fn pqsort<T>(v: &mut [T], cmp: impl Fn(&T, &T) -> Ordering, lrange: usize, rrange: usize) {
    let mut work = vec![(0usize, v.len())];
    while let Some((start, len)) = work.pop() {
        partition_step(v, &cmp, start, len, (lrange, rrange), &mut work);
    }
}

/// Whether the part `start..start + len` can hold any wanted rank.
fn wanted(start: usize, len: usize, (lrange, rrange): (usize, usize)) -> bool {
    let end = start + len - 1;
    !((lrange < start && rrange < start) || (lrange > end && rrange > end))
}

fn insertion_sort<T>(v: &mut [T], cmp: &impl Fn(&T, &T) -> Ordering, start: usize, len: usize) {
    for m in start + 1..start + len {
        let mut l = m;
        while l > start && cmp(&v[l - 1], &v[l]) == Ordering::Greater {
            v.swap(l, l - 1);
            l -= 1;
        }
    }
}

fn med3<T>(v: &[T], cmp: &impl Fn(&T, &T) -> Ordering, a: usize, b: usize, c: usize) -> usize {
    let lt = |x: usize, y: usize| cmp(&v[x], &v[y]) == Ordering::Less;
    let gt = |x: usize, y: usize| cmp(&v[x], &v[y]) == Ordering::Greater;
    if lt(a, b) {
        if lt(b, c) {
            b
        } else if lt(a, c) {
            c
        } else {
            a
        }
    } else if gt(b, c) {
        b
    } else if lt(a, c) {
        a
    } else {
        c
    }
}

/// Swaps `n` elements from `a` on with `n` elements from `b` on, in order.
fn vecswap<T>(v: &mut [T], a: usize, b: usize, n: usize) {
    for i in 0..n {
        v.swap(a + i, b + i);
    }
}

/// One partitioning pass over `v[a..a + n]`, queueing the parts still to sort.
fn partition_step<T>(
    v: &mut [T],
    cmp: &impl Fn(&T, &T) -> Ordering,
    a: usize,
    n: usize,
    range: (usize, usize),
    work: &mut Vec<(usize, usize)>,
) {
    if n < 7 {
        insertion_sort(v, cmp, a, n);
        return;
    }
    let mut pm = a + n / 2;
    if n > 7 {
        let mut pl = a;
        let mut pn = a + n - 1;
        if n > 40 {
            let d = n / 8;
            pl = med3(v, cmp, pl, pl + d, pl + 2 * d);
            pm = med3(v, cmp, pm - d, pm, pm + d);
            pn = med3(v, cmp, pn - 2 * d, pn - d, pn);
        }
        pm = med3(v, cmp, pl, pm, pn);
    }
    v.swap(a, pm);
    let (mut pa, mut pb) = (a + 1, a + 1);
    let (mut pc, mut pd) = (a + n - 1, a + n - 1);
    loop {
        while pb <= pc {
            let c = cmp(&v[pb], &v[a]);
            if c == Ordering::Greater {
                break;
            }
            if c == Ordering::Equal {
                v.swap(pa, pb);
                pa += 1;
            }
            pb += 1;
        }
        while pb <= pc {
            let c = cmp(&v[pc], &v[a]);
            if c == Ordering::Less {
                break;
            }
            if c == Ordering::Equal {
                v.swap(pc, pd);
                pd -= 1;
            }
            pc -= 1;
        }
        if pb > pc {
            break;
        }
        v.swap(pb, pc);
        pb += 1;
        pc -= 1;
    }
    let pn = a + n;
    let r = (pa - a).min(pb - pa);
    vecswap(v, a, pb - r, r);
    let r = (pd - pc).min(pn - pd - 1);
    vecswap(v, pb, pn - r, r);
    let left = pb - pa;
    if left > 1 && wanted(a, left, range) {
        work.push((a, left));
    }
    let right = pd - pc;
    if right > 1 && wanted(pn - right, right, range) {
        work.push((pn - right, right));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wanted_ranks_are_sorted() {
        let mut seed = 12345u64;
        for len in [0usize, 1, 5, 7, 8, 40, 41, 100, 1000] {
            let mut v: Vec<u32> = (0..len)
                .map(|_| {
                    seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    (seed >> 40) as u32 % 50
                })
                .collect();
            let mut sorted = v.clone();
            sorted.sort_unstable();
            let k = len / 3;
            if len == 0 {
                continue;
            }
            pqsort(&mut v, |a, b| a.cmp(b), 0, k);
            assert_eq!(v[..=k], sorted[..=k], "len {len}");
            let mut full = v.clone();
            pqsort(&mut full, |a, b| a.cmp(b), 0, len - 1);
            assert_eq!(full, sorted);
        }
    }

    #[test]
    fn ties_keep_redis_order() {
        // Redis 7.0.15: GEOADD ties 1 1 a 1 1 b ... (ten members at one point, one farther),
        // GEOSEARCH ties FROMLONLAT 1 1 BYRADIUS 500 km COUNT 3 -> j a b.
        // Unsorted, the scan order is i a b c d e g h j k f (i and f are farther).
        let scan: Vec<(u8, char)> =
            [(1, 'i')].into_iter().chain("abcdeghjk".chars().map(|c| (0, c))).chain([(2, 'f')]).collect();
        let names = |v: &[(u8, char)]| v.iter().map(|x| x.1).collect::<String>();
        let mut got = scan.clone();
        pqsort(&mut got, |a, b| a.0.cmp(&b.0), 0, 2);
        assert_eq!(names(&got[..3]), "jab");
        // COUNT 10 -> j a b c d e g h k i
        let mut got = scan.clone();
        pqsort(&mut got, |a, b| a.0.cmp(&b.0), 0, 9);
        assert_eq!(names(&got[..10]), "jabcdeghki");
    }
}
