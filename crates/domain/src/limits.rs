//! How much one client (or one email address) may ask of the shop: fixed windows per limit,
//! written as `CLIENT_LIMITS` (`cakeshop dev --limits`) and shown in the banner.
//!
//! The setting is `default`, `off` (no limits, for load tests), or a comma-separated list of
//! the limits to change, each `name=MAX/WINDOW` with `+` between windows, e.g.
//! `order=5/1m+20/1d,sign-in=5/15m`; a limit not named keeps its default. A window is a number
//! and `s`, `m`, `h` or `d`.

use std::fmt;

/// At most `max` uses in each window of `seconds`, windows aligned on the Unix epoch (a
/// minute's window is a clock minute), so that every counter of a window has one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Window {
    pub max: u32,
    pub seconds: u32,
}

impl Window {
    pub const fn new(max: u32, seconds: u32) -> Window {
        Window { max, seconds }
    }

    /// The window holding `unix_seconds`, as its number since the epoch.
    pub fn index_at(self, unix_seconds: i64) -> i64 {
        unix_seconds.div_euclid(i64::from(self.seconds.max(1)))
    }

    /// When the window holding `unix_seconds` ends, in Unix seconds.
    pub fn ends_after(self, unix_seconds: i64) -> i64 {
        (self.index_at(unix_seconds) + 1) * i64::from(self.seconds.max(1))
    }
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (amount, unit) = match self.seconds {
            s if s % 86_400 == 0 => (s / 86_400, "d"),
            s if s % 3_600 == 0 => (s / 3_600, "h"),
            s if s % 60 == 0 => (s / 60, "m"),
            s => (s, "s"),
        };
        write!(f, "{}/{amount}{unit}", self.max)
    }
}

/// What is limited, each keyed on what an attacker has least of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Limit {
    /// New orders (`POST /order`, JSON or the storefront's form), per client address.
    Orders,
    /// Wrong baker keys at the board's sign-in, per client address.
    SignIn,
    /// A customer's cancellations and delivery confirmations, per client address.
    CustomerActions,
    /// Wrong or missing customer tokens (tracking page, an order's status, cancel, received),
    /// per client address.
    WrongTokens,
    /// Emails customers' actions send to one address (its order's confirmation, its
    /// cancellation), per recipient address.
    Recipient,
}

impl Limit {
    pub const ALL: [Limit; 5] = [
        Limit::Orders,
        Limit::SignIn,
        Limit::CustomerActions,
        Limit::WrongTokens,
        Limit::Recipient,
    ];

    /// The name in `CLIENT_LIMITS`, the banner and the stored counters' keys.
    pub fn name(self) -> &'static str {
        match self {
            Limit::Orders => "order",
            Limit::SignIn => "sign-in",
            Limit::CustomerActions => "customer",
            Limit::WrongTokens => "token",
            Limit::Recipient => "recipient",
        }
    }

    /// What is counted, in words, for the banner and for a refusal.
    pub fn counts(self) -> &'static str {
        match self {
            Limit::Orders => "orders per client",
            Limit::SignIn => "wrong baker keys per client",
            Limit::CustomerActions => "cancellations and delivery confirmations per client",
            Limit::WrongTokens => "wrong order links per client",
            Limit::Recipient => "emails per recipient address",
        }
    }

    fn defaults(self) -> Vec<Window> {
        const MINUTE: u32 = 60;
        const DAY: u32 = 86_400;
        match self {
            Limit::Orders => vec![Window::new(5, MINUTE), Window::new(20, DAY)],
            Limit::SignIn => vec![Window::new(5, 15 * MINUTE)],
            Limit::CustomerActions => vec![Window::new(10, MINUTE), Window::new(50, DAY)],
            Limit::WrongTokens => vec![Window::new(10, 15 * MINUTE)],
            Limit::Recipient => vec![Window::new(3, DAY)],
        }
    }

    fn named(name: &str) -> Option<Limit> {
        Limit::ALL.into_iter().find(|limit| limit.name() == name)
    }
}

/// The most windows one limit takes.
pub const MAX_WINDOWS: usize = 4;
/// The longest window: a day's counters are the longest the store keeps.
pub const MAX_WINDOW_SECONDS: u32 = 7 * 86_400;
/// The highest count a window allows.
pub const MAX_PER_WINDOW: u32 = 1_000_000;
/// The longest `CLIENT_LIMITS` read.
pub const MAX_SETTING_LENGTH: usize = 512;

/// Every limit's windows, or none at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientLimits {
    windows: Option<[Vec<Window>; 5]>,
}

impl Default for ClientLimits {
    fn default() -> ClientLimits {
        ClientLimits {
            windows: Some(Limit::ALL.map(Limit::defaults)),
        }
    }
}

/// Why a `CLIENT_LIMITS` setting cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("limits `{setting}`: {problem} (write `default`, `off`, or e.g. `order=5/1m+20/1d,sign-in=5/15m`)")]
pub struct LimitsError {
    pub setting: String,
    pub problem: String,
}

impl ClientLimits {
    /// No limit at all: for load tests on one's own machine, never for a shop open to anyone.
    pub fn off() -> ClientLimits {
        ClientLimits { windows: None }
    }

    pub fn is_off(&self) -> bool {
        self.windows.is_none()
    }

    /// `limit`'s windows, shortest first; none when limits are off.
    pub fn windows(&self, limit: Limit) -> &[Window] {
        match &self.windows {
            Some(all) => &all[limit as usize],
            None => &[],
        }
    }

    pub fn parse(setting: &str) -> Result<ClientLimits, LimitsError> {
        let problem = |problem: String| LimitsError {
            setting: setting.chars().take(80).collect(),
            problem,
        };
        if setting.len() > MAX_SETTING_LENGTH {
            return Err(problem(format!("longer than {MAX_SETTING_LENGTH} characters")));
        }
        let trimmed = setting.trim();
        match trimmed {
            "" | "default" => return Ok(ClientLimits::default()),
            "off" => return Ok(ClientLimits::off()),
            _ => {}
        }
        let mut limits = ClientLimits::default();
        let mut named = Vec::new();
        for part in trimmed.split(',') {
            let (name, windows) = part
                .split_once('=')
                .ok_or_else(|| problem(format!("`{}` is not name=MAX/WINDOW", part.trim())))?;
            let limit = Limit::named(name.trim()).ok_or_else(|| {
                let known: Vec<&str> = Limit::ALL.iter().map(|l| l.name()).collect();
                problem(format!(
                    "no limit is called `{}`; there are {}",
                    name.trim(),
                    known.join(", ")
                ))
            })?;
            if named.contains(&limit) {
                return Err(problem(format!("`{}` is given twice", limit.name())));
            }
            named.push(limit);
            let mut parsed = windows
                .split('+')
                .map(|window| parse_window(window.trim()).map_err(&problem))
                .collect::<Result<Vec<Window>, LimitsError>>()?;
            if parsed.len() > MAX_WINDOWS {
                return Err(problem(format!("at most {MAX_WINDOWS} windows a limit")));
            }
            parsed.sort_by_key(|window| window.seconds);
            if let Some(all) = &mut limits.windows {
                all[limit as usize] = parsed;
            }
        }
        Ok(limits)
    }
}

fn parse_window(text: &str) -> Result<Window, String> {
    let (max, span) = text
        .split_once('/')
        .ok_or_else(|| format!("`{text}` is not MAX/WINDOW, e.g. 5/1m"))?;
    let max: u32 = max
        .trim()
        .parse()
        .ok()
        .filter(|max| (1..=MAX_PER_WINDOW).contains(max))
        .ok_or_else(|| format!("`{max}` in `{text}` is not a count from 1 to {MAX_PER_WINDOW}"))?;
    let span = span.trim();
    let unit_at = span.len().saturating_sub(1);
    let unit_seconds = match span.get(unit_at..) {
        Some("s") => 1,
        Some("m") => 60,
        Some("h") => 3_600,
        Some("d") => 86_400,
        _ => {
            return Err(format!(
                "`{span}` in `{text}` is not a window such as 30s, 1m, 15m, 1h or 1d"
            ));
        }
    };
    let seconds = span[..unit_at]
        .parse::<u32>()
        .ok()
        .and_then(|amount| amount.checked_mul(unit_seconds))
        .filter(|seconds| (1..=MAX_WINDOW_SECONDS).contains(seconds))
        .ok_or_else(|| format!("`{span}` in `{text}` is not a window from 1s to 7d"))?;
    Ok(Window::new(max, seconds))
}

/// As the setting is written, every limit named: `order=5/1m+20/1d,sign-in=5/15m,…`.
impl fmt::Display for ClientLimits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_off() {
            return f.write_str("off");
        }
        let parts: Vec<String> = Limit::ALL
            .iter()
            .map(|limit| {
                let windows: Vec<String> = self.windows(*limit).iter().map(Window::to_string).collect();
                format!("{}={}", limit.name(), windows.join("+"))
            })
            .collect();
        f.write_str(&parts.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_documented_ones_and_read_back() {
        let defaults = ClientLimits::default();
        assert_eq!(
            defaults.to_string(),
            "order=5/1m+20/1d,sign-in=5/15m,customer=10/1m+50/1d,token=10/15m,recipient=3/1d"
        );
        assert_eq!(ClientLimits::parse(&defaults.to_string()), Ok(defaults.clone()));
        assert_eq!(ClientLimits::parse("default"), Ok(defaults.clone()));
        assert_eq!(ClientLimits::parse(""), Ok(defaults));
    }

    #[test]
    fn changes_only_what_it_names_and_sorts_windows() {
        let limits = ClientLimits::parse("order=100/1d+2/30s").expect("parses");
        assert_eq!(
            limits.windows(Limit::Orders),
            [Window::new(2, 30), Window::new(100, 86_400)]
        );
        assert_eq!(limits.windows(Limit::SignIn), [Window::new(5, 900)]);
    }

    #[test]
    fn off_has_no_windows() {
        let off = ClientLimits::parse(" off ").expect("parses");
        assert!(off.is_off());
        assert!(Limit::ALL.iter().all(|limit| off.windows(*limit).is_empty()));
        assert_eq!(off.to_string(), "off");
    }

    #[test]
    fn refuses_what_it_cannot_use_and_says_why() {
        for (setting, says) in [
            ("orders=5/1m", "no limit is called `orders`"),
            ("order=5", "is not MAX/WINDOW"),
            ("order=0/1m", "not a count"),
            ("order=5000000/1m", "not a count"),
            ("order=5/1w", "not a window such as"),
            ("order=5/8d", "from 1s to 7d"),
            ("order=5/0s", "from 1s to 7d"),
            ("order=5/99999999999d", "from 1s to 7d"),
            ("order=5/1m,order=6/1m", "given twice"),
            ("order", "is not name=MAX/WINDOW"),
            ("order=1/1s+1/2s+1/3s+1/4s+1/5s", "at most 4 windows"),
            ("order=5/1é", "not a window such as"),
        ] {
            let error = ClientLimits::parse(setting).expect_err(setting);
            assert!(error.to_string().contains(says), "{setting}: {error}");
        }
        let long = format!("order=5/1m{}", " ".repeat(MAX_SETTING_LENGTH));
        assert!(
            ClientLimits::parse(&long)
                .expect_err("long")
                .problem
                .contains("longer than")
        );
    }

    #[test]
    fn windows_are_clock_aligned() {
        let minute = Window::new(5, 60);
        assert_eq!(minute.index_at(119), 1);
        assert_eq!(minute.ends_after(119), 120);
        assert_eq!(minute.ends_after(120), 180);
    }
}
