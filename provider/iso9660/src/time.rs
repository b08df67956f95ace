//! The two ISO 9660 date formats, from seconds since the Unix epoch (UTC).

/// Calendar fields of a UTC instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DateTime {
    pub year: i64,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
}

impl DateTime {
    pub fn from_unix(secs: i64) -> Self {
        let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
        let (year, month, day) = civil_from_days(days);
        // rem < 86_400, so every field below fits in a u8.
        Self {
            year,
            month,
            day,
            hour: (rem / 3600) as u8,
            minute: (rem / 60 % 60) as u8,
            second: (rem % 60) as u8,
        }
    }

    /// The 7-byte directory record form: years since 1900, month, day, hour, minute,
    /// second, offset from GMT in 15-minute units (0: we write UTC).
    pub fn record_bytes(&self) -> [u8; 7] {
        let years = (self.year - 1900).clamp(0, 255) as u8;
        [
            years,
            self.month,
            self.day,
            self.hour,
            self.minute,
            self.second,
            0,
        ]
    }

    /// The 17-byte volume descriptor form: "YYYYMMDDHHMMSScc" in ASCII, then the GMT offset.
    pub fn descriptor_bytes(&self) -> [u8; 17] {
        let text = format!(
            "{:04}{:02}{:02}{:02}{:02}{:02}00",
            self.year.clamp(1, 9999),
            self.month,
            self.day,
            self.hour,
            self.minute,
            self.second
        );
        let mut out = [0u8; 17];
        out[..16].copy_from_slice(text.as_bytes());
        out
    }
}

/// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian calendar).
fn civil_from_days(days: i64) -> (i64, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants() {
        let epoch = DateTime::from_unix(0);
        assert_eq!(epoch.record_bytes(), [70, 1, 1, 0, 0, 0, 0]);
        assert_eq!(&epoch.descriptor_bytes()[..16], b"1970010100000000");
        // 2024-02-29T23:59:59Z, a leap day.
        let leap = DateTime::from_unix(1_709_251_199);
        assert_eq!(leap.record_bytes(), [124, 2, 29, 23, 59, 59, 0]);
        // 2000-03-01T00:00:00Z, after a 400-year leap day.
        assert_eq!(
            DateTime::from_unix(951_868_800).record_bytes(),
            [100, 3, 1, 0, 0, 0, 0]
        );
    }
}
