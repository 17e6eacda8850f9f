package io.wstunnel.srv.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;

/** Checks shared by the password-hash tests. */
final class CredentialAssertions {
    private CredentialAssertions() {
    }

    /** {@code c} accepts "pw", the second time far faster than the first (remembered), and refuses "wrong". */
    static void assertMatchIsRemembered(Credential c) {
        long t0 = System.nanoTime();
        assertThat(c.matches(utf8("pw"))).isTrue();
        long first = System.nanoTime() - t0;
        t0 = System.nanoTime();
        assertThat(c.matches(utf8("pw"))).isTrue();
        long second = System.nanoTime() - t0;
        assertThat(second).isLessThan(first / 10);
        assertThat(c.matches(utf8("wrong"))).isFalse();
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
