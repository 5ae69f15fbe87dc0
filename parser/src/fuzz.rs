//! Mutations of SQL text for robustness tests: the parser's fuzz test and
//! the end-to-end one that sends mutated statements to a real FE. Seeded and
//! deterministic, so a failure can be replayed from its seed.

/// How long a fuzz test runs and from which seed: `STARLING_FUZZ_SECONDS`
/// and `STARLING_FUZZ_SEED` when set (a release check runs for an hour),
/// else the test's defaults.
pub fn budget(default_seconds: u64, default_seed: u64) -> (std::time::Duration, u64) {
    let env = |name: &str| std::env::var(name).ok().and_then(|s| s.parse::<u64>().ok());
    (
        std::time::Duration::from_secs(env("STARLING_FUZZ_SECONDS").unwrap_or(default_seconds)),
        env("STARLING_FUZZ_SEED").unwrap_or(default_seed),
    )
}

/// A small deterministic generator (xorshift), so a failing case can be replayed.
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed` (0 is replaced: xorshift needs a non-zero state).
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    /// The next pseudo-random number.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
}

/// Pieces mutations splice in: tokens that open, close and chain.
const PIECES: &[&str] = &[
    "(",
    ")",
    "'",
    "\"",
    "`",
    ",",
    ";",
    "--",
    "/*",
    "*/",
    "\\",
    "=",
    "+",
    "-",
    "*",
    " AND ",
    " OR ",
    " NOT ",
    " SELECT ",
    " FROM ",
    " UNION ALL ",
    " PARTITION ",
    " PROPERTIES (",
    " ON (",
    " AS ",
    " TO ",
    " LABEL ",
    "\u{0}",
    "\u{feff}",
    "é",
    "𝄞",
    "\n",
    "99999999999999999999999999",
    "-1",
    "1e999",
    "NULL",
    "''",
    "``",
];

/// `input` with one to four random edits: deletions, spliced tokens, slices
/// repeated up to thousands of times, replaced characters, truncation.
pub fn mutate(rng: &mut Rng, input: &str) -> String {
    let mut chars: Vec<char> = input.chars().collect();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(chars.len() + 1);
        match rng.below(6) {
            0 if !chars.is_empty() => {
                let end = (at + 1 + rng.below(8)).min(chars.len());
                chars.drain(at.min(end)..end);
            }
            1 => {
                let piece = PIECES[rng.below(PIECES.len())];
                chars.splice(at..at, piece.chars());
            }
            2 if !chars.is_empty() => {
                // Repeat a slice: long or deep inputs.
                let start = at.min(chars.len() - 1);
                let end = (start + 1 + rng.below(12)).min(chars.len());
                let slice: Vec<char> = chars[start..end].to_vec();
                let most = if rng.below(10) == 0 { 3000 } else { 20 };
                let times = 1 + rng.below(most);
                let repeated: Vec<char> = slice.iter().copied().cycle().take(slice.len() * times).collect();
                chars.splice(start..start, repeated);
            }
            3 if !chars.is_empty() => {
                let i = at.min(chars.len() - 1);
                chars[i] = char::from_u32(rng.below(0x250) as u32).unwrap_or('?');
            }
            4 => chars.truncate(at),
            _ => {
                let piece = PIECES[rng.below(PIECES.len())];
                let n = 1 + rng.below(2000);
                chars.splice(at..at, piece.repeat(n).chars());
            }
        }
    }
    chars.into_iter().collect()
}
