//! The geo commands: positions stored as sorted set scores (GEOADD), read back (GEOPOS,
//! GEOHASH, GEODIST), and searched by radius or box (GEOSEARCH, GEOSEARCHSTORE and the
//! older GEORADIUS family with its STORE options and read-only variants). Arguments are
//! read, and errors chosen, in Redis's order; the geometry is in `types::geo`.

use super::args::{int, is};
use super::errors::{CommandError, CommandResult};
use super::table::{CommandSpec, Flags, Group, Handler, KeyRange, KeywordKey};
use super::{Class, Ctx, read_typed, update_typed};
use crate::engine::Locked;
use crate::reply::ReplySink;
use crate::types::Value;
use crate::types::geo::{self, Extent, Found, Shape};
use crate::types::pqsort::pqsort;
use crate::types::string::parse_f64;
use crate::types::zset::{ZSet, ZSetLimits, ZSetRef};

const READ: Flags = Flags::READONLY;
const WRITE: Flags = Flags::WRITE.or(Flags::DENYOOM);
/// GEORADIUS and GEORADIUSBYMEMBER: the STORE key is found by its keyword.
const WRITE_MOVABLE: Flags = WRITE.or(Flags::MOVABLE_KEYS);

/// One table row; positional arguments keep the table compact and readable.
#[allow(clippy::too_many_arguments)]
const fn spec(
    name: &'static str,
    arity: i32,
    flags: Flags,
    keys: KeyRange,
    since: &'static str,
    summary: &'static str,
    syntax: &'static str,
    handler: Handler,
) -> CommandSpec {
    CommandSpec {
        name,
        arity,
        flags,
        keys,
        group: Group::Geo,
        since,
        summary,
        syntax,
        handler: Some(handler),
        ..CommandSpec::BASE
    }
}

const ONE: KeyRange = KeyRange::FIRST;

/// Where GEORADIUS (options from argument 6) and GEORADIUSBYMEMBER (from 5) may name a
/// destination, as Redis's key specs put it.
const GEORADIUS_STORE: &[KeywordKey] =
    &[KeywordKey { keyword: "STORE", start_from: 6 }, KeywordKey { keyword: "STOREDIST", start_from: 6 }];
const GEORADIUSBYMEMBER_STORE: &[KeywordKey] =
    &[KeywordKey { keyword: "STORE", start_from: 5 }, KeywordKey { keyword: "STOREDIST", start_from: 5 }];

pub(super) const COMMANDS: &[CommandSpec] = &[
    spec(
        "geoadd",
        -5,
        WRITE,
        ONE,
        "3.2.0",
        "Add one or more geospatial items in the geospatial index represented using a sorted set",
        "key [NX | XX] [CH] longitude latitude member [longitude latitude member ...]",
        geoadd,
    ),
    spec(
        "geodist",
        -4,
        READ,
        ONE,
        "3.2.0",
        "Returns the distance between two members of a geospatial index",
        "key member1 member2 [M | KM | FT | MI]",
        geodist,
    ),
    spec(
        "geohash",
        -2,
        READ,
        ONE,
        "3.2.0",
        "Returns members of a geospatial index as standard geohash strings",
        "key [member [member ...]]",
        geohash,
    ),
    spec(
        "geopos",
        -2,
        READ,
        ONE,
        "3.2.0",
        "Returns longitude and latitude of members of a geospatial index",
        "key [member [member ...]]",
        geopos,
    ),
    CommandSpec {
        keyword_keys: GEORADIUS_STORE,
        ..spec(
            "georadius",
            -6,
            WRITE_MOVABLE,
            ONE,
            "3.2.0",
            "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a point",
            "key longitude latitude radius <M | KM | FT | MI> [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC | DESC] [STORE key | STOREDIST key]",
            georadius,
        )
    },
    spec(
        "georadius_ro",
        -6,
        READ,
        ONE,
        "3.2.10",
        "A read-only variant for GEORADIUS",
        "key longitude latitude radius <M | KM | FT | MI> [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC | DESC]",
        georadius_ro,
    ),
    CommandSpec {
        keyword_keys: GEORADIUSBYMEMBER_STORE,
        ..spec(
            "georadiusbymember",
            -5,
            WRITE_MOVABLE,
            ONE,
            "3.2.0",
            "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a member",
            "key member radius <M | KM | FT | MI> [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC | DESC] [STORE key | STOREDIST key]",
            georadiusbymember,
        )
    },
    spec(
        "georadiusbymember_ro",
        -5,
        READ,
        ONE,
        "3.2.10",
        "A read-only variant for GEORADIUSBYMEMBER",
        "key member radius <M | KM | FT | MI> [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC | DESC]",
        georadiusbymember_ro,
    ),
    spec(
        "geosearch",
        -7,
        READ,
        ONE,
        "6.2.0",
        "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle.",
        "key <FROMMEMBER member | FROMLONLAT longitude latitude> <BYRADIUS radius <M | KM | FT | MI> | BYBOX width height <M | KM | FT | MI>> [ASC | DESC] [COUNT count [ANY]] [WITHCOORD] [WITHDIST] [WITHHASH]",
        geosearch,
    ),
    spec(
        "geosearchstore",
        -8,
        WRITE,
        KeyRange::TWO,
        "6.2.0",
        "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle, and store the result in another key.",
        "destination source <FROMMEMBER member | FROMLONLAT longitude latitude> <BYRADIUS radius <M | KM | FT | MI> | BYBOX width height <M | KM | FT | MI>> [ASC | DESC] [COUNT count [ANY]] [STOREDIST]",
        geosearchstore,
    ),
];

// ---------------------------------------------------------------------------------------
// Argument helpers
// ---------------------------------------------------------------------------------------

/// A unit: metres per unit (Redis's `extractUnitOrReply`).
fn unit(arg: &[u8]) -> Result<f64, CommandError> {
    match () {
        _ if is(arg, "m") => Ok(1.0),
        _ if is(arg, "km") => Ok(1000.0),
        _ if is(arg, "ft") => Ok(0.3048),
        _ if is(arg, "mi") => Ok(1609.34),
        _ => Err(CommandError::err("unsupported unit provided. please use M, KM, FT, MI")),
    }
}

/// A `longitude latitude` pair, checked against the indexable range.
fn lon_lat(lon: &[u8], lat: &[u8]) -> Result<(f64, f64), CommandError> {
    let float = |arg: &[u8]| parse_f64(arg).ok_or(CommandError::NotFloat);
    let (lon, lat) = (float(lon)?, float(lat)?);
    if !(geo::LON_MIN..=geo::LON_MAX).contains(&lon) || !(geo::LAT_MIN..=geo::LAT_MAX).contains(&lat) {
        return Err(CommandError::err(format!("invalid longitude,latitude pair {lon:.6},{lat:.6}")));
    }
    Ok((lon, lat))
}

/// A non-negative number, or Redis's error naming it.
fn measure(arg: &[u8], what: &str) -> Result<f64, CommandError> {
    parse_f64(arg).ok_or_else(|| CommandError::err(format!("need numeric {what}")))
}

/// `radius unit`.
fn radius(value: &[u8], unit_arg: &[u8]) -> Result<(Extent, f64), CommandError> {
    let r = measure(value, "radius")?;
    if r < 0.0 {
        return Err(CommandError::err("radius cannot be negative"));
    }
    Ok((Extent::Radius(r), unit(unit_arg)?))
}

/// `width height unit`.
fn box_extent(width: &[u8], height: &[u8], unit_arg: &[u8]) -> Result<(Extent, f64), CommandError> {
    let width = measure(width, "width")?;
    let height = measure(height, "height")?;
    if width < 0.0 || height < 0.0 {
        return Err(CommandError::err("height or width cannot be negative"));
    }
    Ok((Extent::Box { width, height }, unit(unit_arg)?))
}

fn member_not_found() -> CommandError {
    CommandError::err("could not decode requested zset member")
}

/// Writes a coordinate as Redis does: `%.17Lf` text, a bulk string in RESP2, a double in
/// RESP3.
fn coordinate(out: &mut dyn ReplySink, value: f64) {
    out.double_text(value, &geo::human_coordinate(value));
}

// ---------------------------------------------------------------------------------------
// GEOADD, GEOPOS, GEOHASH, GEODIST
// ---------------------------------------------------------------------------------------

/// GEOADD is ZADD with scores computed from the positions (Redis rewrites it into a ZADD
/// call), so it follows ZADD's NX / XX / CH rules.
fn geoadd(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let (mut nx, mut xx, mut ch) = (false, false, false);
    let mut first = 2;
    while let Some(opt) = args.get(first) {
        match () {
            _ if is(opt, "nx") => nx = true,
            _ if is(opt, "xx") => xx = true,
            _ if is(opt, "ch") => ch = true,
            _ => break,
        }
        first += 1;
    }
    let triples = &args[first..];
    // No triple at all is ZADD's syntax error, once rewritten.
    if triples.is_empty() || triples.len() % 3 != 0 || (nx && xx) {
        return Err(CommandError::Syntax);
    }
    let mut points: Vec<(f64, &[u8])> = Vec::with_capacity(triples.len() / 3);
    for t in triples.chunks_exact(3) {
        let (lon, lat) = lon_lat(t[0], t[1])?;
        let score = geo::score_of(lon, lat).ok_or_else(|| CommandError::err("invalid longitude,latitude pair"))?;
        points.push((score, t[2]));
    }
    let longest = points.iter().map(|(_, m)| m.len()).max().unwrap_or(0);
    let limits = super::zset::limits(ctx);
    let key = args[1];
    let mut locked = ctx.lock(key);
    let (added, updated) = match super::get_typed::<ZSet>(&mut locked, key) {
        Some(entry) => update_typed::<ZSet, _>(entry, |z| {
            z.prepare_for(points.len(), longest, &limits);
            add_points(z, &points, nx, xx, &limits)
        })?,
        None if xx => (0, 0),
        None => {
            let mut z = ZSet::for_members(points.len(), longest, &limits);
            let counts = add_points(&mut z, &points, nx, xx, &limits);
            if !z.is_empty() {
                locked.set(key, Value::ZSet(z));
            }
            counts
        }
    };
    // GEOADD is ZADD underneath, and reports itself as one.
    if added > 0 || updated > 0 {
        ctx.notify(Class::ZSet, "zadd", key);
    } else {
        locked.unchanged();
    }
    drop(locked);
    ctx.out.count(if ch { added + updated } else { added });
    Ok(())
}

/// ZADD's update rule for each point; returns `(added, updated)`.
fn add_points(z: &mut ZSet, points: &[(f64, &[u8])], nx: bool, xx: bool, limits: &ZSetLimits) -> (usize, usize) {
    let (mut added, mut updated) = (0, 0);
    for &(score, member) in points {
        match z.score(member) {
            Some(_) if nx => {}
            Some(current) => {
                if current != score {
                    z.set_score(member, score, limits);
                    updated += 1;
                }
            }
            None if xx => {}
            None => {
                z.set_score(member, score, limits);
                added += 1;
            }
        }
    }
    (added, updated)
}

fn geopos(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let mut locked = ctx.lock(args[1]);
    let z = read_typed::<ZSet>(&mut locked, args[1])?;
    ctx.out.array(args.len() - 2);
    for member in &args[2..] {
        match z.and_then(|z| z.score(member)) {
            Some(score) => {
                let (lon, lat) = geo::position_of(score);
                ctx.out.array(2);
                coordinate(ctx.out, lon);
                coordinate(ctx.out, lat);
            }
            None => ctx.out.null_array(),
        }
    }
    Ok(())
}

fn geohash(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let mut locked = ctx.lock(args[1]);
    let z = read_typed::<ZSet>(&mut locked, args[1])?;
    ctx.out.array(args.len() - 2);
    for member in &args[2..] {
        let hash = z.and_then(|z| z.score(member)).and_then(geo::standard_geohash);
        ctx.out.bulk_or_null(hash.as_ref().map(|h| &h[..]));
    }
    Ok(())
}

fn geodist(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let to_metres = match args.len() {
        4 => 1.0,
        5 => unit(args[4])?,
        _ => return Err(CommandError::Syntax),
    };
    let mut locked = ctx.lock(args[1]);
    let z = read_typed::<ZSet>(&mut locked, args[1])?;
    let scores = z.and_then(|z| z.score(args[2]).zip(z.score(args[3])));
    drop(locked);
    match scores {
        Some((a, b)) => {
            let ((lon1, lat1), (lon2, lat2)) = (geo::position_of(a), geo::position_of(b));
            let d = geo::distance(lon1, lat1, lon2, lat2) / to_metres;
            ctx.out.bulk(geo::format_distance(d).as_bytes());
        }
        None => ctx.out.null(),
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Searches
// ---------------------------------------------------------------------------------------

/// The search commands, which share one parser and one executor (Redis's
/// `georadiusGeneric`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Variant {
    Radius,
    RadiusRo,
    ByMember,
    ByMemberRo,
    Search,
    SearchStore,
}

impl Variant {
    /// Where the source key is.
    fn source_at(self) -> usize {
        if self == Variant::SearchStore { 2 } else { 1 }
    }

    /// Where the options start.
    fn options_at(self) -> usize {
        match self {
            Variant::Radius | Variant::RadiusRo => 6,
            Variant::ByMember | Variant::ByMemberRo => 5,
            Variant::Search => 2,
            Variant::SearchStore => 3,
        }
    }

    /// GEOSEARCH and GEOSEARCHSTORE: centre and shape are options.
    fn is_geosearch(self) -> bool {
        matches!(self, Variant::Search | Variant::SearchStore)
    }

    /// GEORADIUS and GEORADIUSBYMEMBER take `STORE key` and `STOREDIST key`.
    fn takes_store_key(self) -> bool {
        matches!(self, Variant::Radius | Variant::ByMember)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Order {
    #[default]
    Unsorted,
    Asc,
    Desc,
}

/// A parsed search.
#[derive(Debug, Default)]
struct Query<'a> {
    /// Unknown when the source is missing and the centre is one of its members.
    centre: Option<(f64, f64)>,
    extent: Option<(Extent, f64)>,
    with_dist: bool,
    with_hash: bool,
    with_coord: bool,
    order: Order,
    /// 0: all.
    count: usize,
    any: bool,
    store: Option<&'a [u8]>,
    store_dist: bool,
}

/// Reads a search's arguments in Redis's order: a member centre is looked up in `source`
/// (`None`: the key is missing, and the lookup is skipped) when its argument is read, so
/// errors come in argument order.
fn parse<'a>(args: &'a [&'a [u8]], variant: Variant, source: Option<ZSetRef<'_>>) -> Result<Query<'a>, CommandError> {
    let mut q = Query::default();
    let position = |member: &[u8]| -> Result<Option<(f64, f64)>, CommandError> {
        match source {
            Some(z) => z.score(member).map(|s| Some(geo::position_of(s))).ok_or_else(member_not_found),
            None => Ok(None),
        }
    };
    match variant {
        Variant::Radius | Variant::RadiusRo => {
            q.centre = Some(lon_lat(args[2], args[3])?);
            q.extent = Some(radius(args[4], args[5])?);
        }
        // With no source there is nothing to search: the radius is not even read.
        Variant::ByMember | Variant::ByMemberRo if source.is_some() => {
            q.centre = position(args[2])?;
            q.extent = Some(radius(args[3], args[4])?);
        }
        Variant::ByMember | Variant::ByMemberRo | Variant::Search => {}
        Variant::SearchStore => q.store = Some(args[1]),
    }
    let opts = &args[variant.options_at()..];
    let (mut from_member, mut from_lonlat, mut by_radius, mut by_box) = (false, false, false, false);
    let mut i = 0;
    while i < opts.len() {
        let arg = opts[i];
        // How many arguments follow this one.
        let after = opts.len() - i - 1;
        let geosearch = variant.is_geosearch();
        if is(arg, "withdist") {
            q.with_dist = true;
        } else if is(arg, "withhash") {
            q.with_hash = true;
        } else if is(arg, "withcoord") {
            q.with_coord = true;
        } else if is(arg, "any") {
            q.any = true;
        } else if is(arg, "asc") {
            q.order = Order::Asc;
        } else if is(arg, "desc") {
            q.order = Order::Desc;
        } else if is(arg, "count") && after >= 1 {
            let n = int(opts[i + 1])?;
            if n <= 0 {
                return Err(CommandError::err("COUNT must be > 0"));
            }
            q.count = usize::try_from(n).unwrap_or(usize::MAX);
            i += 1;
        } else if (is(arg, "store") || is(arg, "storedist")) && after >= 1 && variant.takes_store_key() {
            q.store = Some(opts[i + 1]);
            q.store_dist = is(arg, "storedist");
            i += 1;
        } else if is(arg, "storedist") && variant == Variant::SearchStore {
            q.store_dist = true;
        } else if is(arg, "frommember") && after >= 1 && geosearch && !from_lonlat {
            q.centre = position(opts[i + 1])?;
            from_member = true;
            i += 1;
        } else if is(arg, "fromlonlat") && after >= 2 && geosearch && !from_member {
            q.centre = Some(lon_lat(opts[i + 1], opts[i + 2])?);
            from_lonlat = true;
            i += 2;
        } else if is(arg, "byradius") && after >= 2 && geosearch && !by_box {
            q.extent = Some(radius(opts[i + 1], opts[i + 2])?);
            by_radius = true;
            i += 2;
        } else if is(arg, "bybox") && after >= 3 && geosearch && !by_radius {
            q.extent = Some(box_extent(opts[i + 1], opts[i + 2], opts[i + 3])?);
            by_box = true;
            i += 3;
        } else {
            return Err(CommandError::Syntax);
        }
        i += 1;
    }
    if q.store.is_some() && (q.with_dist || q.with_hash || q.with_coord) {
        let what = if variant == Variant::SearchStore { "GEOSEARCHSTORE" } else { "STORE option in GEORADIUS" };
        return Err(CommandError::err(format!(
            "{what} is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
        )));
    }
    // Redis names the command as the client typed it.
    let name = String::from_utf8_lossy(args[0]);
    if variant.is_geosearch() && !(from_member || from_lonlat) {
        return Err(CommandError::err(format!("exactly one of FROMMEMBER or FROMLONLAT can be specified for {name}")));
    }
    if variant.is_geosearch() && !(by_radius || by_box) {
        return Err(CommandError::err(format!("exactly one of BYRADIUS and BYBOX can be specified for {name}")));
    }
    if q.any && q.count == 0 {
        return Err(CommandError::err("the ANY argument requires COUNT argument"));
    }
    Ok(q)
}

/// Every argument that may turn out to be GEORADIUS's destination: those after a STORE or
/// STOREDIST keyword among the options. Locked before the options are read (reading them
/// needs the source), a superset of the one the parser picks.
fn store_candidates<'a>(args: &'a [&'a [u8]], variant: Variant) -> impl Iterator<Item = &'a [u8]> {
    let opts = if variant.takes_store_key() { &args[variant.options_at().min(args.len())..] } else { &[] };
    opts.windows(2).filter(|w| is(w[0], "store") || is(w[0], "storedist")).map(|w| w[1])
}

fn search_generic(ctx: &mut Ctx<'_>, args: &[&[u8]], variant: Variant) -> CommandResult {
    let src = args[variant.source_at()];
    let fixed_dst = (variant == Variant::SearchStore).then(|| args[1]);
    let keys = std::iter::once(src).chain(fixed_dst).chain(store_candidates(args, variant));
    let limits = super::zset::limits(ctx);
    let mut locked = ctx.lock_keys(keys);
    let z = read_typed::<ZSet>(&mut locked, src)?;
    let q = parse(args, variant, z)?;
    let (Some(z), Some((lon, lat)), Some((extent, unit))) = (z, q.centre, q.extent) else {
        // No source: nothing found (a stored result is then no key at all).
        match q.store {
            Some(dst) => {
                if locked.remove(dst).is_some() {
                    ctx.notify(Class::Generic, "del", dst);
                }
                ctx.out.integer(0);
            }
            None => ctx.out.array(0),
        }
        return Ok(());
    };
    let shape = Shape { lon, lat, extent, unit };
    let mut found = geo::search(z, &shape, if q.any { q.count } else { 0 });
    // COUNT means the nearest ones, unless ANY asked for the first ones found.
    let order = if q.count > 0 && q.order == Order::Unsorted && !q.any { Order::Asc } else { q.order };
    let by_distance =
        |a: &Found<'_>, b: &Found<'_>| a.dist_m.partial_cmp(&b.dist_m).unwrap_or(std::cmp::Ordering::Equal);
    let returned = if q.count > 0 { q.count.min(found.len()) } else { found.len() };
    let cmp = |a: &Found<'_>, b: &Found<'_>| match order {
        Order::Desc => by_distance(b, a),
        _ => by_distance(a, b),
    };
    // Redis sorts everything with qsort (glibc's is a stable merge sort) when all results
    // are returned, and with its unstable partial quicksort otherwise: equal distances
    // come out in the order each of those leaves them.
    if order != Order::Unsorted && returned > 0 {
        if returned == found.len() {
            found.sort_by(cmp);
        } else {
            pqsort(&mut found, cmp, 0, returned - 1);
        }
    }
    found.truncate(returned);
    let Some(dst) = q.store else {
        reply_found(ctx.out, &q, unit, &found);
        return Ok(());
    };
    let entries: Vec<(f64, Box<[u8]>)> =
        found.iter().map(|f| (if q.store_dist { f.dist_m / unit } else { f.score }, Box::from(f.member))).collect();
    let event = if variant.is_geosearch() { "geosearchstore" } else { "georadiusstore" };
    let n = store(ctx, &mut locked, dst, &entries, &limits, event);
    drop(locked);
    ctx.out.count(n);
    Ok(())
}

/// Writes the members found, each with the extras asked for (distance, hash, coordinates,
/// always in that order).
fn reply_found(out: &mut dyn ReplySink, q: &Query<'_>, unit: f64, found: &[Found<'_>]) {
    let extras = usize::from(q.with_dist) + usize::from(q.with_hash) + usize::from(q.with_coord);
    out.array(found.len());
    for f in found {
        if extras > 0 {
            out.array(extras + 1);
        }
        out.bulk(f.member);
        if q.with_dist {
            out.bulk(geo::format_distance(f.dist_m / unit).as_bytes());
        }
        if q.with_hash {
            // The score is an integer below 2^52.
            out.integer(f.score as i64);
        }
        if q.with_coord {
            out.array(2);
            coordinate(out, f.lon);
            coordinate(out, f.lat);
        }
    }
}

/// Stores the results as a sorted set at `dst`, replacing any value and TTL, or deletes
/// `dst` when there are none; returns the count. `event` is the command's keyspace event.
fn store(
    ctx: &Ctx<'_>,
    locked: &mut Locked<'_>,
    dst: &[u8],
    entries: &[(f64, Box<[u8]>)],
    limits: &ZSetLimits,
    event: &str,
) -> usize {
    if entries.is_empty() {
        if locked.remove(dst).is_some() {
            ctx.notify(Class::Generic, "del", dst);
        }
        return 0;
    }
    let longest = entries.iter().map(|(_, m)| m.len()).max().unwrap_or(0);
    let mut z = ZSet::for_members(entries.len(), longest, limits);
    for (score, member) in entries {
        z.set_score(member, *score, limits);
    }
    locked.set(dst, Value::ZSet(z));
    ctx.notify(Class::ZSet, event, dst);
    entries.len()
}

fn georadius(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    search_generic(ctx, args, Variant::Radius)
}

fn georadius_ro(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    search_generic(ctx, args, Variant::RadiusRo)
}

fn georadiusbymember(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    search_generic(ctx, args, Variant::ByMember)
}

fn georadiusbymember_ro(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    search_generic(ctx, args, Variant::ByMemberRo)
}

fn geosearch(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    search_generic(ctx, args, Variant::Search)
}

fn geosearchstore(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    search_generic(ctx, args, Variant::SearchStore)
}
