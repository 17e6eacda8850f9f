package io.wstunnel.srv.tunnel;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The registry's limits without sockets: {@link TokenRegistry#admission} is the handshake's early
 * answer, {@link TokenRegistry#join} decides. Agents that all passed the early check together (the
 * handshakes raced) must still not take the registry past -max-tunnels or a token past
 * -max-clients-per-token, and the loser gets the refusal the early check gives.
 */
class JoinLimitsTest {
    static final String TOKEN_A = "join-limits-token-aaaaaaaa";
    static final String TOKEN_B = "join-limits-token-bbbbbbbb";
    static final Duration IDLE = Duration.ofMinutes(60);

    long now = 1_000_000_000L;

    TokenRegistry registry(int maxAgents, int maxTunnels) {
        return new TokenRegistry(20, maxAgents, maxTunnels, Tunnel.AgentListener.NONE, Duration.ofSeconds(60), () -> now);
    }

    @Test
    void twoNewTokensThatBothPassedTheEarlyCheckDoNotBothGetATunnel() {
        TokenRegistry registry = registry(0, 1);
        assertThat(registry.admission(TOKEN_A)).isNull();
        assertThat(registry.admission(TOKEN_B)).as("both handshakes pass before either joins").isNull();

        TokenRegistry.JoinResult<StubAgent> a = registry.join(TOKEN_A, t -> new StubAgent());
        List<Tunnel> offeredB = new ArrayList<>();
        TokenRegistry.JoinResult<StubAgent> b = registry.join(TOKEN_B, t -> {
            offeredB.add(t);
            return new StubAgent();
        });

        assertThat(a.refused()).isNull();
        assertThat(b.refused()).isEqualTo(new TokenRegistry.Refusal(503, 1013,
                "Server tunnel limit reached (1 tunnels); try again later"));
        assertThat(b.refused()).as("what the early check now answers").isEqualTo(registry.admission(TOKEN_B));
        assertThat(offeredB).as("no tunnel made for the refused token").isEmpty();
        assertThat(registry.size()).isEqualTo(1);
        assertThat(registry.get(TOKEN_B)).isNull();
    }

    /** A tunnel counts from the moment it is made, before its first agent is added. */
    @Test
    void aNewTokenJoiningWhileAnotherIsBeingMadeIsRefused() {
        TokenRegistry registry = registry(0, 1);
        List<TokenRegistry.JoinResult<StubAgent>> inner = new ArrayList<>();
        TokenRegistry.JoinResult<StubAgent> a = registry.join(TOKEN_A, t -> {
            inner.add(registry.join(TOKEN_B, u -> new StubAgent())); // between A's tunnel being made and A joining it
            return new StubAgent();
        });

        assertThat(a.refused()).isNull();
        assertThat(inner.get(0).refused()).isNotNull();
        assertThat(inner.get(0).refused().status()).isEqualTo(503);
        assertThat(registry.size()).isEqualTo(1);
    }

    @Test
    void aKnownTokenStillJoinsAtTheLimitAndAForgottenOneFreesItsPlace() {
        TokenRegistry registry = registry(0, 1);
        StubAgent first = new StubAgent();
        assertThat(registry.join(TOKEN_A, t -> first).refused()).isNull();
        assertThat(registry.admission(TOKEN_A)).isNull();
        assertThat(registry.join(TOKEN_A, t -> new StubAgent()).refused()).as("second agent of a known token").isNull();

        for (AgentConnection c : registry.get(TOKEN_A).agents()) {
            registry.get(TOKEN_A).removeAgent(c);
        }
        now += IDLE.plusSeconds(1).toNanos();
        registry.sweep(IDLE, c -> { });
        assertThat(registry.admission(TOKEN_B)).isNull();
        assertThat(registry.join(TOKEN_B, t -> new StubAgent()).refused()).isNull();
        assertThat(registry.size()).isEqualTo(1);
    }

    @Test
    void twoAgentsOfATokenThatBothPassedTheEarlyCheckDoNotBothJoinIt() {
        TokenRegistry registry = registry(1, 0);
        assertThat(registry.join(TOKEN_A, t -> new StubAgent()).refused()).isNull();
        registry.get(TOKEN_A).removeAgent(registry.get(TOKEN_A).agents().get(0));
        assertThat(registry.admission(TOKEN_A)).isNull();
        assertThat(registry.admission(TOKEN_A)).as("both handshakes pass before either joins").isNull();

        TokenRegistry.JoinResult<StubAgent> first = registry.join(TOKEN_A, t -> new StubAgent());
        TokenRegistry.JoinResult<StubAgent> second = registry.join(TOKEN_A, t -> new StubAgent());

        assertThat(first.refused()).isNull();
        assertThat(second.refused()).isEqualTo(new TokenRegistry.Refusal(429, 1008,
                "Maximum number of clients (1) reached for this token"));
        assertThat(second.refused()).as("what the early check now answers").isEqualTo(registry.admission(TOKEN_A));
        assertThat(registry.get(TOKEN_A).agents()).containsExactly(first.agent());
    }
}
