package io.wstunnel.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import org.junit.jupiter.api.Test;

class FlowWindowTest {

    private static void flowControlError(Runnable r) {
        ProtocolException e = catchThrowableOfType(ProtocolException.class, r::run);
        assertThat(e).isNotNull();
        assertThat(e.code()).isEqualTo(ErrorCode.FLOW_CONTROL_ERROR);
        assertThat(e.streamLevel()).isFalse();
    }

    @Test
    void initialWindow() {
        assertThat(new FlowWindow(262144).available()).isEqualTo(262144);
        assertThat(new FlowWindow(0).available()).isZero();
        assertThat(new FlowWindow(Integer.MAX_VALUE).available()).isEqualTo(Integer.MAX_VALUE);
        assertThatThrownBy(() -> new FlowWindow(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void consumeTakesCreditAndNeverGoesNegative() {
        FlowWindow w = new FlowWindow(10);
        w.consume(0);
        w.consume(4);
        assertThat(w.available()).isEqualTo(6);
        w.consume(6);
        assertThat(w.available()).isZero();
        w.consume(0); // empty DATA needs no credit
        assertThatThrownBy(() -> w.consume(1)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> w.consume(-1)).isInstanceOf(IllegalStateException.class);
        assertThat(w.available()).isZero();
    }

    @Test
    void receiveWithinWindow() {
        FlowWindow w = new FlowWindow(100);
        w.receive(1, 60);
        w.receive(1, 40);
        assertThat(w.available()).isZero();
        w.receive(1, 0);
        assertThat(w.available()).isZero();
    }

    @Test
    void receiveBeyondWindowIsAConnectionFlowControlError() {
        FlowWindow w = new FlowWindow(100);
        w.receive(3, 99);
        flowControlError(() -> w.receive(3, 2));
        assertThat(w.available()).as("unchanged after the violation").isEqualTo(1);
        assertThatThrownBy(() -> w.receive(3, -1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void creditRestoresWindow() {
        FlowWindow w = new FlowWindow(100);
        w.consume(100);
        w.credit(1, 50);
        assertThat(w.available()).isEqualTo(50);
        w.consume(50);
        w.credit(1, 1);
        assertThat(w.available()).isEqualTo(1);
    }

    @Test
    void creditUpToExactlyMaxWindowIsFine() {
        FlowWindow w = new FlowWindow(0);
        w.credit(1, Integer.MAX_VALUE);
        assertThat(w.available()).isEqualTo(Integer.MAX_VALUE);

        FlowWindow v = new FlowWindow(Integer.MAX_VALUE - 10);
        v.credit(1, 10);
        assertThat(v.available()).isEqualTo(Integer.MAX_VALUE);
    }

    @Test
    void creditPast2To31Minus1IsAFlowControlError() {
        FlowWindow w = new FlowWindow(Integer.MAX_VALUE);
        flowControlError(() -> w.credit(1, 1));
        assertThat(w.available()).isEqualTo(Integer.MAX_VALUE);

        FlowWindow v = new FlowWindow(1);
        flowControlError(() -> v.credit(1, Integer.MAX_VALUE));
        assertThat(v.available()).isEqualTo(1);

        FlowWindow u = new FlowWindow(Integer.MAX_VALUE - 5);
        flowControlError(() -> u.credit(1, 6));
        u.credit(1, 5);
        assertThat(u.available()).isEqualTo(Integer.MAX_VALUE);
    }

    @Test
    void nonPositiveCreditIsRejected() {
        FlowWindow w = new FlowWindow(5);
        flowControlError(() -> w.credit(1, 0));
        flowControlError(() -> w.credit(1, -1));
        flowControlError(() -> w.credit(1, Integer.MIN_VALUE));
        assertThat(w.available()).isEqualTo(5);
    }

    @Test
    void windowSurvivesManyCycles() {
        FlowWindow w = new FlowWindow(Settings.DEFAULT.initialWindow());
        for (int i = 0; i < 100_000; i++) {
            w.receive(1, 1000);
            w.credit(1, 1000);
        }
        assertThat(w.available()).isEqualTo(Settings.DEFAULT.initialWindow());
    }
}
