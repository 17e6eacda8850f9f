package io.wstunnel.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.junit.jupiter.api.Test;

class ReceiveWindowTest {
    private static final int W = 256 * 1024;
    private static final long MS = 1_000_000L;
    private static final long RTT = 50 * MS;

    /** Simulated stream: the sender always has data; the reader passes on what arrives. */
    private static final class Sim {
        final ReceiveWindow w;
        long credit;
        long buffered;
        long now = 1_000 * MS;

        Sim(ReceiveWindow w) {
            this.w = w;
            this.credit = w.window();
        }

        /** The sender spends all its credit; the reader passes it on in reports of {@code batch} bytes,
         * {@code gap} apart. */
        void round(int batch, long gap, long rtt) {
            int n = (int) credit;
            w.receive(1, n);
            credit -= n;
            buffered += n;
            while (buffered >= batch) {
                now += gap;
                credit += w.consumed(1, batch, now, rtt);
                buffered -= batch;
            }
            assertThat(credit + buffered).isEqualTo(w.window());
        }
    }

    @Test
    void windowDoublesWhileHalfOfItPassesWithinTwoRoundTrips() {
        Sim s = new Sim(new ReceiveWindow(W, 8 * W, new WindowBudget(100L * W)));
        for (int i = 0; i < 10; i++) {
            s.round(W / 2, 5 * MS, RTT); // a fast reader, a long path
        }
        assertThat(s.w.window()).isEqualTo(8 * W);
    }

    @Test
    void aReaderSlowerThanTheWindowAllowsKeepsItsWindow() {
        Sim s = new Sim(new ReceiveWindow(W, 8 * W, new WindowBudget(100L * W)));
        for (int i = 0; i < 20; i++) {
            s.round(W / 2, 3 * RTT, RTT); // half a window every 3 round trips: the window is not the limit
        }
        assertThat(s.w.window()).isEqualTo(W);
    }

    @Test
    void growthStopsWhereTheReadersRateNoLongerNeedsIt() {
        // 64 KiB every 20 ms (3.2 MB/s) over a 50 ms path: the window settles where half of it takes
        // at least two round trips to pass, never at max
        Sim s = new Sim(new ReceiveWindow(W, 64 * W, new WindowBudget(1000L * W)));
        for (int i = 0; i < 40; i++) {
            s.round(64 * 1024, 20 * MS, RTT);
        }
        assertThat(s.w.window()).isGreaterThan(W).isLessThanOrEqualTo(4 * W);
    }

    @Test
    void withoutARoundTripMeasurementNothingGrows() {
        Sim s = new Sim(new ReceiveWindow(W, 8 * W, new WindowBudget(100L * W)));
        for (int i = 0; i < 10; i++) {
            s.round(W / 2, 1, 0);
        }
        assertThat(s.w.window()).isEqualTo(W);
    }

    @Test
    void growthComesFromTheSharedBudgetAndGoesBackOnRelease() {
        WindowBudget budget = new WindowBudget(3L * W);
        Sim a = new Sim(new ReceiveWindow(W, 8 * W, budget));
        Sim b = new Sim(new ReceiveWindow(W, 8 * W, budget));
        for (int i = 0; i < 6; i++) {
            a.round(W / 2, MS, RTT);
        }
        assertThat(a.w.window()).isEqualTo(4 * W);
        assertThat(budget.left()).isZero();
        for (int i = 0; i < 6; i++) {
            b.round(W / 2, MS, RTT);
        }
        assertThat(b.w.window()).as("nothing left to grow with").isEqualTo(W);
        a.w.release();
        a.w.release();
        assertThat(budget.left()).as("released once").isEqualTo(3L * W);
        for (int i = 0; i < 6; i++) {
            b.round(W / 2, MS, RTT);
            a.round(W / 2, MS, RTT);
        }
        assertThat(b.w.window()).isEqualTo(4 * W);
        assertThat(a.w.window()).as("a released stream does not grow").isEqualTo(4 * W);
    }

    @Test
    void aPartialGrantTakesWhatTheBudgetHas() {
        WindowBudget budget = new WindowBudget(W / 3);
        Sim s = new Sim(new ReceiveWindow(W, 8 * W, budget));
        for (int i = 0; i < 4; i++) {
            s.round(W / 2, MS, RTT);
        }
        assertThat(s.w.window()).isEqualTo(W + W / 3);
        assertThat(budget.left()).isZero();
    }

    @Test
    void maxAtOrBelowInitialDisablesGrowth() {
        Sim s = new Sim(new ReceiveWindow(W, W, new WindowBudget(100L * W)));
        for (int i = 0; i < 10; i++) {
            s.round(W / 2, MS, RTT);
        }
        assertThat(s.w.window()).isEqualTo(W);
        assertThat(new ReceiveWindow(W, 1, new WindowBudget(W)).window()).isEqualTo(W);
    }

    @Test
    void dataBeyondTheGrantedCreditIsAFlowControlError() {
        Sim s = new Sim(new ReceiveWindow(W, 4 * W, new WindowBudget(100L * W)));
        s.round(W / 2, MS, RTT);
        s.round(W / 2, MS, RTT);
        int window = s.w.window();
        assertThat(window).isGreaterThan(W);
        s.w.receive(3, window);
        assertThatThrownBy(() -> s.w.receive(3, 1))
                .isInstanceOfSatisfying(ProtocolException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.FLOW_CONTROL_ERROR));
    }

    @Test
    void nothingConsumedGrantsNothing() {
        ReceiveWindow w = new ReceiveWindow(W, 4 * W, new WindowBudget(100L * W));
        w.receive(1, W);
        assertThat(w.consumed(1, 0, 0, RTT)).isZero();
        assertThat(w.window()).isEqualTo(W);
    }

    /** Whatever the reader, sender and clock do, the sender's credit plus what is buffered is the window. */
    @Test
    void creditPlusBufferedAlwaysEqualsTheWindowAndStaysWithinMax() {
        Random rnd = new Random(42);
        for (int run = 0; run < 200; run++) {
            WindowBudget budget = new WindowBudget(rnd.nextInt(8 * W));
            int max = W + rnd.nextInt(8 * W);
            ReceiveWindow w = new ReceiveWindow(W, max, budget);
            long credit = W;
            long buffered = 0;
            long now = 0;
            for (int step = 0; step < 500; step++) {
                now += rnd.nextInt((int) (2 * MS));
                if (rnd.nextBoolean() && credit > 0) {
                    int n = 1 + rnd.nextInt((int) Math.min(credit, 64 * 1024));
                    w.receive(1, n);
                    credit -= n;
                    buffered += n;
                } else if (buffered > 0) {
                    int n = 1 + rnd.nextInt((int) buffered);
                    credit += w.consumed(1, n, now, rnd.nextInt(3) * MS);
                    buffered -= n;
                }
                assertThat(credit + buffered).isEqualTo(w.window());
                assertThat(w.window()).isBetween(W, Math.max(W, max));
            }
            long grown = w.window() - W;
            w.release();
            assertThat(budget.left()).isGreaterThanOrEqualTo(grown);
        }
    }
}
