//! A count per hour over the last day, kept in memory by this node: the console dashboard's
//! "tokens issued per hour". Prometheus keeps the same count as a counter since start; this
//! keeps when, so the dashboard needs no metrics server to draw it.

use std::sync::atomic::{AtomicU64, Ordering};

/// Hours kept.
pub const HOURS: usize = 24;

/// One slot per hour of the day, each packing the hour it counts (hours since the epoch, in
/// the high 32 bits) with its count (the low 32), so that moving a slot to a new hour and
/// counting in it are one atomic step: no lock on the token endpoint's path.
#[derive(Default)]
pub struct HourlyCount {
    slots: [AtomicU64; HOURS],
}

const COUNT: u64 = 0xFFFF_FFFF;

fn hour_of(now: i64) -> u64 {
    u64::try_from(now.div_euclid(3600)).unwrap_or(0) & COUNT
}

impl HourlyCount {
    /// Counts one at `now` (seconds since the epoch).
    pub fn record(&self, now: i64) {
        let hour = hour_of(now);
        let slot = &self.slots[(hour % HOURS as u64) as usize];
        let _ = slot.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |packed| {
            match (packed >> 32).cmp(&hour) {
                // Saturates instead of carrying into the hour.
                std::cmp::Ordering::Equal => Some(packed + u64::from(packed & COUNT < COUNT)),
                std::cmp::Ordering::Less => Some((hour << 32) | 1),
                // The clock stepped back into an hour this slot has moved past: not counted
                // there, rather than wiping the later hour's count.
                std::cmp::Ordering::Greater => None,
            }
        });
    }

    /// The counts of the last [`HOURS`] hours, oldest first, the current hour last; each with
    /// the time its hour began.
    pub fn last_day(&self, now: i64) -> Vec<(i64, u64)> {
        let current = now.div_euclid(3600);
        (0..HOURS as i64)
            .rev()
            .map(|ago| {
                let hour = current - ago;
                let packed =
                    self.slots[hour.rem_euclid(HOURS as i64) as usize].load(Ordering::Relaxed);
                let count = if packed >> 32 == hour_of(hour * 3600) {
                    packed & COUNT
                } else {
                    0
                };
                (hour * 3600, count)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_land_in_their_hour_and_a_day_old_slot_starts_again() {
        let c = HourlyCount::default();
        let t = 1_800_000_000; // some hour's start plus a little
        c.record(t);
        c.record(t + 1);
        c.record(t + 3600);
        let day = c.last_day(t + 3600);
        assert_eq!(day.len(), HOURS);
        assert_eq!(day[HOURS - 1], ((t + 3600).div_euclid(3600) * 3600, 1));
        assert_eq!(day[HOURS - 2].1, 2);
        assert_eq!(day.iter().map(|(_, n)| n).sum::<u64>(), 3);
        // A day later the same slot counts the new hour from one, and the old counts are gone.
        c.record(t + 24 * 3600);
        let later = c.last_day(t + 24 * 3600);
        assert_eq!(later[HOURS - 1].1, 1);
        assert_eq!(later.iter().map(|(_, n)| n).sum::<u64>(), 2, "{later:?}");
        // A clock stepped back a day counts nothing over the newer hour.
        c.record(t);
        assert_eq!(c.last_day(t + 24 * 3600)[HOURS - 1].1, 1);
    }

    #[test]
    fn racing_counts_are_all_counted() {
        let c = std::sync::Arc::new(HourlyCount::default());
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let c = c.clone();
                std::thread::spawn(move || (0..1000).for_each(|_| c.record(7200)))
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        assert_eq!(c.last_day(7200)[HOURS - 1].1, 4000);
    }
}
