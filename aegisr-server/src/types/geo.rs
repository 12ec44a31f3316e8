//! Geospatial indexing on sorted sets, computed exactly as Redis computes it (its
//! `geohash.c`, `geohash_helper.c` and the search part of `geo.c`), so that scores, decoded
//! coordinates, distances and search results agree with Redis to the last digit.
//!
//! A position is stored as a sorted set score: a 52-bit geohash, 26 bits per axis,
//! interleaved (latitude bits in the even positions, longitude bits in the odd ones), over
//! longitude -180..180 and latitude -85.05112878..85.05112878 (the Web Mercator limits).
//! A member's position is the centre of its cell. A search around a point covers the cell
//! holding the point at a precision (step) chosen from the radius, plus its eight
//! neighbours; each cell is one contiguous score range of the sorted set, and the members
//! found there are kept when they are within the exact shape.

use super::zset::{ScoreBound, ScoreRange, ZSetRef};

pub const LON_MIN: f64 = -180.0;
pub const LON_MAX: f64 = 180.0;
pub const LAT_MIN: f64 = -85.05112878;
pub const LAT_MAX: f64 = 85.05112878;
/// Bits per axis of a stored score.
pub const STEP_MAX: u8 = 26;
/// Redis's Earth radius (the quadratic mean radius of WGS-84), in metres.
pub const EARTH_RADIUS_M: f64 = 6372797.560856;
/// Redis's bound for choosing the search step (half the Mercator world width, metres).
const MERCATOR_MAX: f64 = 20037726.37;
/// Degrees to radians, as Redis's `D_R` macro (`M_PI / 180.0`).
const D_R: f64 = std::f64::consts::PI / 180.0;

/// A geohash of `step` bits per axis, interleaved in the low `2 * step` bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashBits {
    pub bits: u64,
    pub step: u8,
}

impl HashBits {
    /// Redis's "zero" hash: a neighbour excluded from a search.
    const ZERO: HashBits = HashBits { bits: 0, step: 0 };

    fn is_zero(self) -> bool {
        self.bits == 0 && self.step == 0
    }

    /// The hash left-aligned to 52 bits: the lowest score of the cell.
    pub fn align52(self) -> u64 {
        self.bits.checked_shl(52 - u32::from(self.step.min(STEP_MAX)) * 2).unwrap_or(0)
    }

    /// The scores `[min, max)` of the members inside this cell.
    pub fn score_range(self) -> (f64, f64) {
        let next = HashBits { bits: self.bits.wrapping_add(1), step: self.step };
        (self.align52() as f64, next.align52() as f64)
    }
}

/// A closed interval of one coordinate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CoordRange {
    pub min: f64,
    pub max: f64,
}

/// The coordinate ranges of the stored scores.
const WGS84_LON: CoordRange = CoordRange { min: LON_MIN, max: LON_MAX };
const WGS84_LAT: CoordRange = CoordRange { min: LAT_MIN, max: LAT_MAX };

/// The cell a hash covers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Area {
    pub lon: CoordRange,
    pub lat: CoordRange,
}

/// Spreads the bits of `lat` to the even positions and those of `lon` to the odd ones.
fn interleave(lat: u32, lon: u32) -> u64 {
    const B: [u64; 5] =
        [0x5555555555555555, 0x3333333333333333, 0x0F0F0F0F0F0F0F0F, 0x00FF00FF00FF00FF, 0x0000FFFF0000FFFF];
    const S: [u32; 5] = [1, 2, 4, 8, 16];
    let (mut x, mut y) = (u64::from(lat), u64::from(lon));
    for i in (0..5).rev() {
        x = (x | (x << S[i])) & B[i];
        y = (y | (y << S[i])) & B[i];
    }
    x | (y << 1)
}

/// The inverse of [`interleave`]: latitude bits in the low half, longitude bits in the high.
fn deinterleave(bits: u64) -> u64 {
    const B: [u64; 6] = [
        0x5555555555555555,
        0x3333333333333333,
        0x0F0F0F0F0F0F0F0F,
        0x00FF00FF00FF00FF,
        0x0000FFFF0000FFFF,
        0x00000000FFFFFFFF,
    ];
    const S: [u32; 6] = [0, 1, 2, 4, 8, 16];
    let (mut x, mut y) = (bits, bits >> 1);
    for i in 0..6 {
        x = (x | (x >> S[i])) & B[i];
        y = (y | (y >> S[i])) & B[i];
    }
    x | (y << 32)
}

/// Encodes a position within the given ranges at `step` bits per axis (Redis's
/// `geohashEncode`); `None` outside the ranges or the Mercator limits.
pub fn encode_in(lon_range: CoordRange, lat_range: CoordRange, lon: f64, lat: f64, step: u8) -> Option<HashBits> {
    if step == 0 || step > 32 {
        return None;
    }
    if !(LON_MIN..=LON_MAX).contains(&lon) || !(LAT_MIN..=LAT_MAX).contains(&lat) {
        return None;
    }
    if lat < lat_range.min || lat > lat_range.max || lon < lon_range.min || lon > lon_range.max {
        return None;
    }
    let scale = (1u64 << step) as f64;
    let lat_offset = (lat - lat_range.min) / (lat_range.max - lat_range.min) * scale;
    let lon_offset = (lon - lon_range.min) / (lon_range.max - lon_range.min) * scale;
    // Truncation to an integer, as C's double-to-uint32 conversion does; the offsets are
    // within 0..=2^32 by the range checks above.
    Some(HashBits { bits: interleave(lat_offset as u32, lon_offset as u32), step })
}

/// Encodes a position over the stored ranges.
pub fn encode(lon: f64, lat: f64, step: u8) -> Option<HashBits> {
    encode_in(WGS84_LON, WGS84_LAT, lon, lat, step)
}

/// The sorted set score of a position (`None` outside the valid coordinates).
pub fn score_of(lon: f64, lat: f64) -> Option<f64> {
    encode(lon, lat, STEP_MAX).map(|h| h.align52() as f64)
}

/// The cell of a hash over the stored ranges (Redis's `geohashDecode`).
pub fn decode(hash: HashBits) -> Area {
    let separated = deinterleave(hash.bits);
    // 32-bit cell numbers, the next one wrapping as C's `uint32_t + 1` does (only a score
    // not written by GEOADD can have the top bits set).
    let (lat_cell, lon_cell) = (separated as u32, (separated >> 32) as u32);
    let cells = (1u64 << hash.step.min(32)) as f64;
    let lat_scale = WGS84_LAT.max - WGS84_LAT.min;
    let lon_scale = WGS84_LON.max - WGS84_LON.min;
    let at = |range: CoordRange, scale: f64, cell: u32| range.min + (f64::from(cell) / cells) * scale;
    Area {
        lat: CoordRange {
            min: at(WGS84_LAT, lat_scale, lat_cell),
            max: at(WGS84_LAT, lat_scale, lat_cell.wrapping_add(1)),
        },
        lon: CoordRange {
            min: at(WGS84_LON, lon_scale, lon_cell),
            max: at(WGS84_LON, lon_scale, lon_cell.wrapping_add(1)),
        },
    }
}

/// The centre of a hash's cell, clamped to the valid coordinates: `(longitude, latitude)`.
pub fn decode_centre(hash: HashBits) -> (f64, f64) {
    let area = decode(hash);
    let lon = ((area.lon.min + area.lon.max) / 2.0).clamp(LON_MIN, LON_MAX);
    let lat = ((area.lat.min + area.lat.max) / 2.0).clamp(LAT_MIN, LAT_MAX);
    (lon, lat)
}

/// C's `(uint64_t)` conversion of a double as x86-64 performs it, which is what Redis
/// applies to a score before decoding it: truncation, negative values wrapping through
/// `int64_t`, and out-of-range values becoming `2^63` (below) or 0 (above `2^64`). Scores
/// written by GEOADD are exact integers below 2^52; this matters for scores set by ZADD.
fn score_bits(score: f64) -> u64 {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    let to_i64 = |x: f64| if x.is_nan() || !(-TWO_63..TWO_63).contains(&x) { i64::MIN } else { x as i64 };
    if score < TWO_63 { to_i64(score) as u64 } else { (to_i64(score - TWO_63) as u64) ^ (1 << 63) }
}

/// The position a sorted set score stands for: `(longitude, latitude)`.
pub fn position_of(score: f64) -> (f64, f64) {
    decode_centre(HashBits { bits: score_bits(score), step: STEP_MAX })
}

/// The standard 11-character base32 geohash of a score (what GEOHASH replies): the
/// position is decoded and encoded again over latitude -90..90, as the standard has it.
pub fn standard_geohash(score: f64) -> Option<[u8; 11]> {
    const ALPHABET: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";
    let (lon, lat) = position_of(score);
    let hash =
        encode_in(CoordRange { min: -180.0, max: 180.0 }, CoordRange { min: -90.0, max: 90.0 }, lon, lat, STEP_MAX)?;
    let mut text = [b'0'; 11];
    // 52 bits give ten characters; the eleventh is always '0', as in Redis.
    for (i, c) in text.iter_mut().take(10).enumerate() {
        let index = (hash.bits >> (52 - (i + 1) * 5)) & 0x1f;
        *c = ALPHABET[index as usize];
    }
    Some(text)
}

/// The eight cells around a hash, at its step, wrapping around the antimeridian.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Neighbours {
    pub north: HashBits,
    pub south: HashBits,
    pub east: HashBits,
    pub west: HashBits,
    pub north_east: HashBits,
    pub north_west: HashBits,
    pub south_east: HashBits,
    pub south_west: HashBits,
}

/// Moves a hash one cell along longitude (the odd bits).
fn move_x(hash: HashBits, d: i8) -> HashBits {
    if d == 0 {
        return hash;
    }
    let shift = 64 - u32::from(hash.step) * 2;
    let mut x = hash.bits & 0xaaaaaaaaaaaaaaaa;
    let y = hash.bits & 0x5555555555555555;
    let zz = 0x5555555555555555u64.checked_shr(shift).unwrap_or(0);
    if d > 0 {
        x = x.wrapping_add(zz.wrapping_add(1));
    } else {
        x = (x | zz).wrapping_sub(zz.wrapping_add(1));
    }
    x &= 0xaaaaaaaaaaaaaaaau64.checked_shr(shift).unwrap_or(0);
    HashBits { bits: x | y, step: hash.step }
}

/// Moves a hash one cell along latitude (the even bits).
fn move_y(hash: HashBits, d: i8) -> HashBits {
    if d == 0 {
        return hash;
    }
    let shift = 64 - u32::from(hash.step) * 2;
    let x = hash.bits & 0xaaaaaaaaaaaaaaaa;
    let mut y = hash.bits & 0x5555555555555555;
    let zz = 0xaaaaaaaaaaaaaaaau64.checked_shr(shift).unwrap_or(0);
    if d > 0 {
        y = y.wrapping_add(zz.wrapping_add(1));
    } else {
        y = (y | zz).wrapping_sub(zz.wrapping_add(1));
    }
    y &= 0x5555555555555555u64.checked_shr(shift).unwrap_or(0);
    HashBits { bits: x | y, step: hash.step }
}

pub fn neighbours(hash: HashBits) -> Neighbours {
    let at = |dx: i8, dy: i8| move_y(move_x(hash, dx), dy);
    Neighbours {
        north: at(0, 1),
        south: at(0, -1),
        east: at(1, 0),
        west: at(-1, 0),
        north_east: at(1, 1),
        north_west: at(-1, 1),
        south_east: at(1, -1),
        south_west: at(-1, -1),
    }
}

fn deg_rad(degrees: f64) -> f64 {
    degrees * D_R
}

fn rad_deg(radians: f64) -> f64 {
    radians / D_R
}

/// The great-circle distance in metres between two positions (haversine, Redis's
/// `geohashGetDistance` of Redis 7.0).
pub fn distance(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let (lat1r, lon1r, lat2r, lon2r) = (deg_rad(lat1), deg_rad(lon1), deg_rad(lat2), deg_rad(lon2));
    let u = ((lat2r - lat1r) / 2.0).sin();
    let v = ((lon2r - lon1r) / 2.0).sin();
    2.0 * EARTH_RADIUS_M * (u * u + lat1r.cos() * lat2r.cos() * v * v).sqrt().asin()
}

/// How far from the centre a search reaches, in the caller's unit; `unit` is that unit in
/// metres. Redis keeps the value and the unit apart and multiplies as it goes, and so do
/// we, so that every intermediate value rounds as it does in Redis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Extent {
    Radius(f64),
    Box { width: f64, height: f64 },
}

/// A search area: a circle or an axis-aligned box around a centre.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shape {
    pub lon: f64,
    pub lat: f64,
    pub extent: Extent,
    /// Metres per unit of the extent (m: 1, km: 1000, ft: 0.3048, mi: 1609.34).
    pub unit: f64,
}

impl Shape {
    /// The distance in metres to a position inside the shape, `None` outside (Redis's
    /// `geoWithinShape`).
    pub fn distance_if_within(&self, lon: f64, lat: f64) -> Option<f64> {
        match self.extent {
            Extent::Radius(radius) => {
                let d = distance(self.lon, self.lat, lon, lat);
                (d <= radius * self.unit).then_some(d)
            }
            Extent::Box { width, height } => {
                let (width_m, height_m) = (width * self.unit, height * self.unit);
                let lon_distance = distance(lon, lat, self.lon, lat);
                let lat_distance = distance(lon, lat, lon, self.lat);
                if lon_distance > width_m / 2.0 || lat_distance > height_m / 2.0 {
                    return None;
                }
                Some(distance(self.lon, self.lat, lon, lat))
            }
        }
    }

    /// The bounding box `[min_lon, min_lat, max_lon, max_lat]` (Redis's
    /// `geohashBoundingBox`).
    fn bounds(&self) -> [f64; 4] {
        let (half_width, half_height) = match self.extent {
            Extent::Radius(r) => (r, r),
            Extent::Box { width, height } => (width / 2.0, height / 2.0),
        };
        let height = self.unit * half_height;
        let width = self.unit * half_width;
        let lat_delta = rad_deg(height / EARTH_RADIUS_M);
        let lon_delta_top = rad_deg(width / EARTH_RADIUS_M / deg_rad(self.lat + lat_delta).cos());
        let lon_delta_bottom = rad_deg(width / EARTH_RADIUS_M / deg_rad(self.lat - lat_delta).cos());
        // Towards the pole the box is narrower: the wider edge is the one nearer the equator.
        let lon_delta = if self.lat < 0.0 { lon_delta_bottom } else { lon_delta_top };
        [self.lon - lon_delta, self.lat - lat_delta, self.lon + lon_delta, self.lat + lat_delta]
    }

    /// The radius in metres the step is chosen for: the half-diagonal for a box.
    fn reach_m(&self) -> f64 {
        let reach = match self.extent {
            Extent::Radius(r) => r,
            Extent::Box { width, height } => ((width / 2.0) * (width / 2.0) + (height / 2.0) * (height / 2.0)).sqrt(),
        };
        reach * self.unit
    }

    /// The cells to scan, in Redis's order (centre, N, S, E, W, NE, NW, SE, SW), those
    /// that cannot hold a match left out (Redis's `geohashCalculateAreasByShapeWGS84` and
    /// the de-duplication of `membersOfAllNeighbors`).
    pub fn cells(&self) -> Vec<HashBits> {
        let [min_lon, min_lat, max_lon, max_lat] = self.bounds();
        let mut step = estimate_step(self.reach_m(), self.lat);
        let at_step = |step: u8| {
            let hash = encode(self.lon, self.lat, step).unwrap_or(HashBits::ZERO);
            (hash, neighbours(hash), decode(hash))
        };
        let (mut hash, mut around, mut area) = at_step(step);
        // Near the edges of the centre cell the estimated step can leave part of the shape
        // outside the nine cells: one step coarser then.
        let too_fine = decode(around.north).lat.max < max_lat
            || decode(around.south).lat.min > min_lat
            || decode(around.east).lon.max < max_lon
            || decode(around.west).lon.min > min_lon;
        if step > 1 && too_fine {
            step -= 1;
            (hash, around, area) = at_step(step);
        }
        if step >= 2 {
            if area.lat.min < min_lat {
                around.south = HashBits::ZERO;
                around.south_west = HashBits::ZERO;
                around.south_east = HashBits::ZERO;
            }
            if area.lat.max > max_lat {
                around.north = HashBits::ZERO;
                around.north_east = HashBits::ZERO;
                around.north_west = HashBits::ZERO;
            }
            if area.lon.min < min_lon {
                around.west = HashBits::ZERO;
                around.south_west = HashBits::ZERO;
                around.north_west = HashBits::ZERO;
            }
            if area.lon.max > max_lon {
                around.east = HashBits::ZERO;
                around.south_east = HashBits::ZERO;
                around.north_east = HashBits::ZERO;
            }
        }
        let all = [
            hash,
            around.north,
            around.south,
            around.east,
            around.west,
            around.north_east,
            around.north_west,
            around.south_east,
            around.south_west,
        ];
        // With a huge radius adjacent cells can be the same (at step 1 north and south
        // wrap to one cell): a cell equal to the last one scanned is skipped. As in Redis,
        // the comparison starts after the first neighbour scanned, not with the centre.
        let mut cells = Vec::with_capacity(all.len());
        let mut last: Option<usize> = None;
        for (i, cell) in all.iter().enumerate() {
            if cell.is_zero() {
                continue;
            }
            if let Some(l) = last.filter(|&l| l > 0)
                && all[l] == *cell
            {
                continue;
            }
            cells.push(*cell);
            last = Some(i);
        }
        cells
    }
}

/// The step (bits per axis) of the search cells for a radius in metres at a latitude
/// (Redis's `geohashEstimateStepsByRadius`).
fn estimate_step(mut range_m: f64, lat: f64) -> u8 {
    if range_m == 0.0 {
        return STEP_MAX;
    }
    let mut step: i32 = 1;
    // Bounded: range_m doubles each turn; a NaN or zero never gets here or stops at once.
    while range_m < MERCATOR_MAX && step < 128 {
        range_m *= 2.0;
        step += 1;
    }
    step -= 2;
    // Cells are narrower towards the poles: coarser there.
    if !(-66.0..=66.0).contains(&lat) {
        step -= 1;
        if !(-80.0..=80.0).contains(&lat) {
            step -= 1;
        }
    }
    step.clamp(1, i32::from(STEP_MAX)) as u8
}

/// A member found by a search.
#[derive(Debug, Clone, PartialEq)]
pub struct Found<'a> {
    pub member: &'a [u8],
    pub score: f64,
    pub lon: f64,
    pub lat: f64,
    /// From the centre, in metres.
    pub dist_m: f64,
}

/// The members of `z` inside `shape`, in scan order (cell by cell, by score within a cell).
/// `limit` > 0 stops the scan once that many are found (GEOSEARCH ... COUNT n ANY).
pub fn search<'a>(z: ZSetRef<'a>, shape: &Shape, limit: usize) -> Vec<Found<'a>> {
    let mut found = Vec::new();
    for cell in shape.cells() {
        if limit > 0 && found.len() >= limit {
            break;
        }
        let (min, max) = cell.score_range();
        let range = ScoreRange {
            min: ScoreBound { value: min, exclusive: false },
            max: ScoreBound { value: max, exclusive: true },
        };
        let ranks = range.ranks(z);
        for (member, score) in z.iter_from(ranks.start, false).take(ranks.len()) {
            let (lon, lat) = position_of(score);
            if let Some(dist_m) = shape.distance_if_within(lon, lat) {
                found.push(Found { member, score, lon, lat, dist_m });
            }
            if limit > 0 && found.len() >= limit {
                break;
            }
        }
    }
    found
}

/// Redis's "human" long double text (`%.17Lf`, trailing zeros removed), used for the
/// coordinates GEOPOS and WITHCOORD reply.
pub fn human_coordinate(value: f64) -> String {
    let mut text = format!("{value:.17}");
    if text.contains('.') {
        let trimmed = text.trim_end_matches('0').trim_end_matches('.').len();
        text.truncate(trimmed);
    }
    if text == "-0" { "0".to_owned() } else { text }
}

/// A distance as GEODIST and WITHDIST reply it: four decimals (`%.4f`).
pub fn format_distance(value: f64) -> String {
    format!("{value:.4}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interleave_round_trips() {
        for (lat, lon) in [(0u32, 0u32), (1, 0), (0, 1), (0x3ff_ffff, 0x155_5555), (u32::MAX, 12345)] {
            let bits = interleave(lat, lon);
            assert_eq!(deinterleave(bits), u64::from(lat) | (u64::from(lon) << 32));
        }
        assert_eq!(interleave(1, 0), 1);
        assert_eq!(interleave(0, 1), 2);
    }

    #[test]
    fn scores_match_redis() {
        // Redis 7.0.15: GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania,
        // then ZSCORE / GEOPOS / GEOHASH.
        assert_eq!(score_of(13.361389, 38.115556), Some(3479099956230698.0));
        assert_eq!(score_of(15.087269, 37.502669), Some(3479447370796909.0));
        let (lon, lat) = position_of(3479099956230698.0);
        assert_eq!(human_coordinate(lon), "13.36138933897018433");
        assert_eq!(human_coordinate(lat), "38.11555639549629859");
        assert_eq!(standard_geohash(3479099956230698.0).as_ref().map(|h| &h[..]), Some(&b"sqc8b49rny0"[..]));
        assert_eq!(standard_geohash(3479447370796909.0).as_ref().map(|h| &h[..]), Some(&b"sqdtr74hyu0"[..]));
    }

    #[test]
    fn encode_decode_round_trips_within_a_cell() {
        let cell_lon = 360.0 / f64::from(1u32 << STEP_MAX);
        let cell_lat = (LAT_MAX - LAT_MIN) / f64::from(1u32 << STEP_MAX);
        for (lon, lat) in [(0.0, 0.0), (-179.99, -85.0), (179.99, 85.0), (2.35, 48.85), (-73.98, 40.75)] {
            let score = score_of(lon, lat).unwrap_or(f64::NAN);
            let (dlon, dlat) = position_of(score);
            assert!((dlon - lon).abs() <= cell_lon / 2.0 + 1e-12, "{lon} -> {dlon}");
            assert!((dlat - lat).abs() <= cell_lat / 2.0 + 1e-12, "{lat} -> {dlat}");
            // The centre of a cell encodes back to the same cell.
            assert_eq!(score_of(dlon, dlat), Some(score));
        }
        assert_eq!(score_of(180.1, 0.0), None);
        assert_eq!(score_of(0.0, 85.06), None);
    }

    #[test]
    fn distances() {
        // Redis 7.0.15: GEODIST Sicily Palermo Catania -> 166274.1516
        let (a, b) = (position_of(3479099956230698.0), position_of(3479447370796909.0));
        assert_eq!(format_distance(distance(a.0, a.1, b.0, b.1)), "166274.1516");
        assert_eq!(distance(10.0, 20.0, 10.0, 20.0), 0.0);
        // A quarter of a meridian.
        let quarter = distance(0.0, 0.0, 0.0, 90.0);
        assert!((quarter - EARTH_RADIUS_M * std::f64::consts::FRAC_PI_2).abs() < 1e-6);
        // Symmetric.
        assert_eq!(distance(1.0, 2.0, 3.0, 4.0), distance(3.0, 4.0, 1.0, 2.0));
    }

    #[test]
    fn neighbours_wrap_around_the_antimeridian() {
        let east_edge = encode(179.9999, 0.0, 10).unwrap_or(HashBits::ZERO);
        let west_edge = encode(-179.9999, 0.0, 10).unwrap_or(HashBits::ZERO);
        assert_eq!(neighbours(east_edge).east, west_edge);
        assert_eq!(neighbours(west_edge).west, east_edge);
        let n = neighbours(east_edge);
        assert_eq!(neighbours(n.north).south, east_edge);
    }

    #[test]
    fn shapes_and_steps() {
        assert_eq!(estimate_step(0.0, 0.0), 26);
        assert_eq!(estimate_step(1000.0, 0.0), 14);
        assert_eq!(estimate_step(1000.0, 70.0), 13);
        assert_eq!(estimate_step(1000.0, -85.0), 12);
        assert_eq!(estimate_step(1e9, 0.0), 1);
        let circle = Shape { lon: 15.0, lat: 37.0, extent: Extent::Radius(200.0), unit: 1000.0 };
        assert!(circle.distance_if_within(15.0, 37.5).is_some());
        assert!(circle.distance_if_within(20.0, 37.0).is_none());
        let rect = Shape { lon: 0.0, lat: 0.0, extent: Extent::Box { width: 200.0, height: 20.0 }, unit: 1000.0 };
        assert!(rect.distance_if_within(0.8, 0.0).is_some());
        assert!(rect.distance_if_within(0.0, 0.8).is_none());
        assert!(!circle.cells().is_empty());
    }

    #[test]
    fn odd_scores_decode_like_redis() {
        assert_eq!(score_bits(-1.0), u64::MAX);
        assert_eq!(score_bits(f64::INFINITY), 0);
        assert_eq!(score_bits(f64::NEG_INFINITY), 1 << 63);
        assert_eq!(score_bits(1e19), 10_000_000_000_000_000_000);
        let (lon, lat) = position_of(f64::INFINITY);
        assert!((LON_MIN..=LON_MAX).contains(&lon) && (LAT_MIN..=LAT_MAX).contains(&lat));
    }

    #[test]
    fn human_text() {
        assert_eq!(human_coordinate(1.5), "1.5");
        assert_eq!(human_coordinate(-0.0), "0");
        assert_eq!(human_coordinate(180.0), "180");
        assert_eq!(format_distance(0.0), "0.0000");
    }
}
