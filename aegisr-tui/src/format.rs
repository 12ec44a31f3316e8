//! Figures as a person reads them.

/// `3d4h`, `2h5m`, `4m10s`, `9s`.
pub fn duration(seconds: u64) -> String {
    let (d, h, m, s) = (seconds / 86400, seconds / 3600 % 24, seconds / 60 % 60, seconds % 60);
    if d > 0 {
        format!("{d}d{h}h")
    } else if h > 0 {
        format!("{h}h{m}m")
    } else if m > 0 {
        format!("{m}m{s}s")
    } else {
        format!("{s}s")
    }
}

/// `512B`, `1.5K`, `20.0M`, `3.2G`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "K", "M", "G", "T"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{n}B") } else { format!("{value:.1}{}", UNITS[unit]) }
}

/// `12.3us`, `1.25ms`, `2.00s`.
pub fn micros(us: f64) -> String {
    if us >= 1_000_000.0 {
        format!("{:.2}s", us / 1_000_000.0)
    } else if us >= 1000.0 {
        format!("{:.2}ms", us / 1000.0)
    } else {
        format!("{us:.1}us")
    }
}

/// `950`, `12.5k`, `1.20M`.
pub fn rate(per_sec: f64) -> String {
    if per_sec >= 1_000_000.0 {
        format!("{:.2}M", per_sec / 1_000_000.0)
    } else if per_sec >= 10_000.0 {
        format!("{:.1}k", per_sec / 1000.0)
    } else {
        format!("{per_sec:.0}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_read_well() {
        assert_eq!(duration(9), "9s");
        assert_eq!(duration(250), "4m10s");
        assert_eq!(duration(7500), "2h5m");
        assert_eq!(duration(3 * 86400 + 4 * 3600), "3d4h");
        assert_eq!(bytes(512), "512B");
        assert_eq!(bytes(1536), "1.5K");
        assert_eq!(micros(12.34), "12.3us");
        assert_eq!(micros(1250.0), "1.25ms");
        assert_eq!(rate(950.4), "950");
        assert_eq!(rate(12_500.0), "12.5k");
        assert_eq!(rate(1_200_000.0), "1.20M");
    }
}
