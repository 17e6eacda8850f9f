package io.wstunnel.srv.tunnel;

import static org.assertj.core.api.Assertions.assertThat;

import io.wstunnel.protocol.ErrorCode;
import io.wstunnel.protocol.Headers;
import io.wstunnel.protocol.RequestHead;
import io.wstunnel.protocol.ResponseHead;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The token state of {@link Tunnel} and {@link TokenRegistry} without sockets, on a clock the test
 * moves: a request waits for an agent that is momentarily away, fails fast once the token has had
 * no agent for longer than the reconnect grace, and only agent inactivity makes a token forgotten.
 */
class AgentPresenceTest {
    static final String TOKEN = "presence-token-0123456789";
    static final Duration GRACE = Duration.ofSeconds(60);
    static final Duration IDLE = Duration.ofMinutes(60);

    long now = 1_000_000_000L;
    final TokenRegistry registry = new TokenRegistry(20, 0, Tunnel.AgentListener.NONE, GRACE, () -> now);

    void advance(Duration d) {
        now += d.toNanos();
    }

    @Test
    void aRequestWaitsWhileTheAgentIsAwayAndIsOpenedWhenOneReconnects() {
        Tunnel t = registry.getOrCreate(TOKEN);
        FakeAgent first = new FakeAgent();
        t.addAgent(first);
        t.removeAgent(first);

        advance(GRACE.minusSeconds(1));
        FakeCaller c = new FakeCaller();
        assertThat(t.submit(c)).isEqualTo(Tunnel.Admission.QUEUED);
        assertThat(t.agentGone()).isFalse();

        FakeAgent second = new FakeAgent();
        t.addAgent(second);
        t.drain();
        assertThat(second.opened).containsExactly(c);
        assertThat(c.failures).isEmpty();
    }

    @Test
    void afterTheGraceQueuedRequestsFailAtOnceAndNewOnesAreRefused() {
        Tunnel t = registry.getOrCreate(TOKEN);
        FakeAgent a = new FakeAgent();
        t.addAgent(a);
        t.removeAgent(a);
        advance(Duration.ofSeconds(10));
        FakeCaller queued = new FakeCaller();
        assertThat(t.submit(queued)).isEqualTo(Tunnel.Admission.QUEUED);

        advance(GRACE.minusSeconds(10));
        assertThat(registry.failAgentless()).as("at exactly the grace nothing fails yet").isZero();
        advance(Duration.ofMillis(1));
        assertThat(t.agentGone()).isTrue();
        assertThat(registry.failAgentless()).isEqualTo(1);
        assertThat(queued.failures).containsExactly("503 No agent connected to this tunnel for over 60 s");
        assertThat(t.queued()).isZero();

        FakeCaller late = new FakeCaller();
        assertThat(t.submit(late)).isEqualTo(Tunnel.Admission.NO_AGENT);
        assertThat(t.queued()).isZero();
        assertThat(NoAgent.is(503, t.noAgentText())).isTrue();
    }

    @Test
    void anAgentComingBackEndsTheGoneStateAndRestartsTheGraceWhenItLeaves() {
        Tunnel t = registry.getOrCreate(TOKEN);
        advance(GRACE.plusSeconds(1));
        assertThat(t.agentGone()).as("created for an agent that never joined").isTrue();

        FakeAgent a = new FakeAgent();
        t.addAgent(a);
        assertThat(t.agentGone()).isFalse();
        FakeCaller c = new FakeCaller();
        assertThat(t.submit(c)).isEqualTo(Tunnel.Admission.OPENED);

        advance(Duration.ofHours(3)); // connected all along: never gone, however long
        assertThat(t.agentGone()).isFalse();
        t.removeAgent(a);
        advance(GRACE);
        assertThat(t.submit(new FakeCaller())).isEqualTo(Tunnel.Admission.QUEUED);
    }

    @Test
    void busyAgentsAreNotAbsentAgents() {
        Tunnel t = registry.getOrCreate(TOKEN);
        FakeAgent busy = new FakeAgent();
        busy.accepting = false;
        t.addAgent(busy);
        FakeCaller c = new FakeCaller();
        assertThat(t.submit(c)).isEqualTo(Tunnel.Admission.QUEUED);

        advance(GRACE.multipliedBy(3));
        assertThat(registry.failAgentless()).isZero();
        assertThat(c.failures).isEmpty();
        assertThat(t.queued()).isEqualTo(1);
    }

    @Test
    void callerTrafficNeverKeepsAnAgentlessTokenFromBeingForgotten() {
        Tunnel t = registry.getOrCreate(TOKEN);
        FakeAgent a = new FakeAgent();
        t.addAgent(a);
        t.removeAgent(a);
        List<CallerStream> orphans = new ArrayList<>();
        for (int minute = 1; minute <= 60; minute++) {
            advance(Duration.ofMinutes(1).minusMillis(1));
            t.submit(new FakeCaller()); // a caller polling the token every minute
            registry.sweep(IDLE, orphans::add);
            assertThat(registry.get(TOKEN)).as("minute %d", minute).isSameAs(t);
        }
        advance(Duration.ofMillis(61));
        registry.sweep(IDLE, orphans::add);
        assertThat(registry.get(TOKEN)).isNull();
    }

    @Test
    void aForgottenTokenHandsOverItsQueue() {
        TokenRegistry longGrace = new TokenRegistry(20, 0, Tunnel.AgentListener.NONE, Duration.ofHours(2), () -> now);
        Tunnel t = longGrace.getOrCreate(TOKEN);
        FakeCaller c = new FakeCaller();
        assertThat(t.submit(c)).isEqualTo(Tunnel.Admission.QUEUED);
        advance(IDLE.plusSeconds(1));
        List<CallerStream> orphans = new ArrayList<>();
        longGrace.sweep(IDLE, orphans::add);
        assertThat(orphans).containsExactly(c);
        assertThat(longGrace.get(TOKEN)).isNull();
    }

    /**
     * The race of an agent connecting just as the sweep forgets its idle token, driven in its worst
     * order: the agent has looked the tunnel up, then the sweep forgets it, then the agent is added.
     * The agent must end up on the tunnel callers reach, never on the forgotten one.
     */
    @Test
    void anAgentJoiningAsTheSweepForgetsItsTokenServesTheTokenCallersReach() {
        Tunnel idle = registry.getOrCreate(TOKEN);
        advance(IDLE.plusSeconds(1));
        List<Tunnel> offered = new ArrayList<>();
        FakeAgent[] made = new FakeAgent[1];
        TokenRegistry.JoinResult<FakeAgent> joined = registry.join(TOKEN, t -> {
            offered.add(t);
            if (offered.size() == 1) {
                registry.sweep(IDLE, c -> { }); // between the agent's lookup and its joining
            }
            return made[0] = new FakeAgent();
        });

        assertThat(offered.get(0)).isSameAs(idle);
        assertThat(joined.refused()).isNull();
        assertThat(joined.agent()).isSameAs(made[0]);
        Tunnel live = registry.get(TOKEN);
        assertThat(live).as("the token callers reach").isNotNull().isSameAs(joined.tunnel());
        assertThat(live.agents()).containsExactly(made[0]);
        assertThat(idle.agentCount()).as("nothing joined the forgotten tunnel").isZero();
        FakeCaller c = new FakeCaller();
        assertThat(live.submit(c)).isEqualTo(Tunnel.Admission.OPENED);
        assertThat(made[0].opened).containsExactly(c);
    }

    /** The same race on the caller's side: a request for a tunnel just forgotten must not wait in it. */
    @Test
    void aRequestForATunnelTheSweepJustForgotIsNotQueuedThere() {
        TokenRegistry longGrace = new TokenRegistry(20, 0, Tunnel.AgentListener.NONE, Duration.ofHours(2), () -> now);
        Tunnel t = longGrace.getOrCreate(TOKEN); // the router looked the token up
        advance(IDLE.plusSeconds(1));
        longGrace.sweep(IDLE, c -> { });
        FakeCaller c = new FakeCaller();
        Tunnel.Admission a = t.submit(c);
        assertThat(t.queued()).as("queued on a tunnel no agent can join any more").isZero();
        assertThat(a).isEqualTo(Tunnel.Admission.FORGOTTEN);
    }

    @Test
    void aConnectedTokenIsNeverForgottenAndItsIdlenessIsItsAgentsSilence() {
        Tunnel t = registry.getOrCreate(TOKEN);
        FakeAgent a = new FakeAgent();
        a.lastSeen = now;
        t.addAgent(a);
        advance(Duration.ofSeconds(7));
        t.submit(new FakeCaller()); // caller traffic: not agent activity
        assertThat(t.idleNanos()).isEqualTo(TimeUnit.SECONDS.toNanos(7));
        a.lastSeen = now - TimeUnit.SECONDS.toNanos(2); // a ping 2 s ago
        assertThat(t.idleNanos()).isEqualTo(TimeUnit.SECONDS.toNanos(2));

        advance(IDLE.multipliedBy(2));
        registry.sweep(IDLE, c -> { });
        assertThat(registry.get(TOKEN)).isSameAs(t);
    }

    @Test
    void noTokenIsEverShownWhole() {
        assertThat(TokenRegistry.cut("vectortoken0123456789")).isEqualTo("vectorto...");
        assertThat(TokenRegistry.cut("shorttoken")).isEqualTo("short...");
        assertThat(TokenRegistry.cut("abcdefgh")).isEqualTo("abcd...");
        assertThat(TokenRegistry.cut("abc")).isEqualTo("a...");
        assertThat(TokenRegistry.cut("x")).isEqualTo("...");
        assertThat(TokenRegistry.cut("")).isEqualTo("...");
        for (int n = 1; n <= 40; n++) {
            String token = "t".repeat(n);
            assertThat(TokenRegistry.cut(token)).as("length %d", n).doesNotContain(token);
        }
    }

    /** An agent that takes every stream while {@link #accepting}. */
    final class FakeAgent implements AgentConnection {
        final List<CallerStream> opened = new ArrayList<>();
        boolean accepting = true;
        long lastSeen = now;

        @Override
        public boolean tryOpen(CallerStream caller) {
            if (!accepting) {
                return false;
            }
            opened.add(caller);
            return true;
        }

        @Override
        public int load() {
            return opened.size();
        }

        @Override
        public boolean accepting() {
            return accepting;
        }

        @Override
        public String remoteAddress() {
            return "192.0.2.1";
        }

        @Override
        public long lastSeenNanos() {
            return lastSeen;
        }

        @Override
        public String clientVersion() {
            return "fake";
        }

        @Override
        public void goAway(String reason) {
        }

        @Override
        public void abort(String reason) {
        }
    }

    /** A caller that records how it was failed. */
    static final class FakeCaller implements CallerStream {
        final List<String> failures = new ArrayList<>();

        @Override
        public RequestHead head() {
            return new RequestHead("GET", "/", "example.com", "http", Headers.EMPTY);
        }

        @Override
        public boolean hasBody() {
            return false;
        }

        @Override
        public boolean isActive() {
            return failures.isEmpty();
        }

        @Override
        public String requestId() {
            return "1";
        }

        @Override
        public void onOpened(AgentStream stream) {
        }

        @Override
        public void onReply(ResponseHead head, boolean endStream) {
        }

        @Override
        public void onData(ByteBuffer data, boolean endStream) {
        }

        @Override
        public void onWritable() {
        }

        @Override
        public void onReset(ErrorCode code, String reason, boolean notProcessed) {
        }

        @Override
        public void fail(int status, String reason) {
            failures.add(status + " " + reason);
        }
    }
}
