package io.wstunnel.app;

/**
 * Range checks of numeric options: each failure is a {@link UsageException} (exit code 2) whose one
 * line names the option as the Go wstunnel spells it, its valid range and the value given.
 */
final class OptionChecks {
    /**
     * Longest accepted duration option, in seconds: a year. Far above any sensible timeout, and every
     * count derived from it (milliseconds, nanoseconds, deadlines) stays within a long.
     */
    static final long MAX_SECONDS = 365L * 24 * 3600;
    /** Smallest positive -rate-limit (one request per 1000 s): below it, refill times overflow. */
    static final double MIN_RATE = 0.001;

    private OptionChecks() {
    }

    /** A duration option of {@code min}..{@link #MAX_SECONDS} seconds; {@code zero} says what 0 means, if allowed. */
    static void seconds(String option, long value, long min, String zero) {
        if (value < min || value > MAX_SECONDS) {
            throw new UsageException(option + " must be " + min + ".." + MAX_SECONDS + " seconds"
                    + (min == 0 && zero != null ? " (0 = " + zero + ")" : "") + ", got " + value);
        }
    }

    /** A count of at least {@code min}. */
    static void atLeast(String option, long value, long min) {
        if (value < min) {
            throw new UsageException(option + " must be at least " + min + ", got " + value);
        }
    }

    /** A count where 0 means no limit. */
    static void zeroOrMore(String option, long value) {
        if (value < 0) {
            throw new UsageException(option + " must be 0 (unlimited) or more, got " + value);
        }
    }

    /** A count of {@code min}..{@code max}. */
    static void range(String option, long value, long min, long max) {
        if (value < min || value > max) {
            throw new UsageException(option + " must be " + min + ".." + max + ", got " + value);
        }
    }

    /** A rate per second: 0 (unlimited), or a finite number of at least {@link #MIN_RATE}. */
    static void rate(String option, double value) {
        if (!(value == 0 || (value >= MIN_RATE && Double.isFinite(value)))) {
            throw new UsageException(option + " must be 0 (unlimited) or a number of at least " + MIN_RATE
                    + " per second, got " + value);
        }
    }
}
