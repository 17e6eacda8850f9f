package io.wstunnel.srv.tunnel;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The registry's {@link TokenRegistry.Gate} (the admin's blocked tokens) without sockets: a refused
 * token gets the gate's refusal and no tunnel, and closing the gate is atomic with respect to joins.
 */
@Timeout(30)
class JoinGateTest {
    static final String TOKEN = "join-gate-token-aaaaaaaaaa";
    static final TokenRegistry.Refusal BLOCKED = new TokenRegistry.Refusal(403, 1008, "blocked");

    final Set<String> blocked = ConcurrentHashMap.newKeySet();
    final TokenRegistry registry = new TokenRegistry(20, 0, 0, Tunnel.AgentListener.NONE, Duration.ofSeconds(60),
            System::nanoTime);

    JoinGateTest() {
        registry.gate(token -> blocked.contains(token) ? BLOCKED : null);
    }

    @Test
    void aTokenTheGateRefusesGetsItsRefusalAndNoTunnel() {
        blocked.add(TOKEN);
        List<Tunnel> offered = new ArrayList<>();

        TokenRegistry.JoinResult<StubAgent> r = registry.join(TOKEN, t -> {
            offered.add(t);
            return new StubAgent();
        });

        assertThat(r.refused()).isEqualTo(BLOCKED);
        assertThat(offered).isEmpty();
        assertThat(registry.get(TOKEN)).isNull();
        blocked.remove(TOKEN);
        assertThat(registry.join(TOKEN, t -> new StubAgent()).refused()).isNull();
    }

    /**
     * A block that comes while a join is between the gate check and adding its agent waits for the join:
     * whoever acts on the block then finds the agent in its tunnel.
     */
    @Test
    void closingTheGateWaitsForAJoinInProgressSoItsAgentIsFound() throws Exception {
        CountDownLatch closed = new CountDownLatch(1);
        CompletableFuture<List<AgentConnection>> seen = new CompletableFuture<>();
        boolean[] closedDuringJoin = new boolean[1];
        StubAgent agent = new StubAgent();

        TokenRegistry.JoinResult<StubAgent> r = registry.join(TOKEN, t -> {
            // Passed the gate check; the agent is not in its tunnel yet: the admin blocks the token now.
            CompletableFuture.runAsync(() -> seen.complete(registry.closingGate(() -> {
                blocked.add(TOKEN);
                closed.countDown();
                return registry.get(TOKEN).agents();
            })));
            try {
                closedDuringJoin[0] = closed.await(300, TimeUnit.MILLISECONDS); // must not happen
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return agent;
        });

        assertThat(closedDuringJoin[0]).as("the gate closed while a join was in progress").isFalse();
        assertThat(r.refused()).isNull();
        assertThat(seen.get(10, TimeUnit.SECONDS)).as("what the block acts on").containsExactly(agent);
        assertThat(registry.join(TOKEN, t -> new StubAgent()).refused()).as("a later join").isEqualTo(BLOCKED);
    }
}
