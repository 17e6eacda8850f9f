package io.wstunnel.srv.admin;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The admin CSRF check's origin comparison: host and port, a scheme's default port optional on either side. */
class SameHostTest {
    @Test
    void defaultPortsMayBeWrittenOrNot() {
        assertThat(AdminAccess.sameHost("http://localhost", "localhost:80")).isTrue();
        assertThat(AdminAccess.sameHost("http://localhost:80", "localhost")).isTrue();
        assertThat(AdminAccess.sameHost("https://tunnel.example", "tunnel.example:443")).isTrue();
        assertThat(AdminAccess.sameHost("http://127.0.0.1:8080", "127.0.0.1:8080")).isTrue();
        assertThat(AdminAccess.sameHost("HTTP://LocalHost", "localhost")).isTrue();
    }

    @Test
    void anythingElseIsAnotherOrigin() {
        assertThat(AdminAccess.sameHost("http://localhost", "localhost:8080")).isFalse();
        assertThat(AdminAccess.sameHost("http://localhost:8080", "localhost")).isFalse();
        assertThat(AdminAccess.sameHost("http://localhost:443", "localhost")).isFalse();
        assertThat(AdminAccess.sameHost("http://evil.example", "localhost")).isFalse();
        assertThat(AdminAccess.sameHost("http://localhost.evil.example", "localhost")).isFalse();
        assertThat(AdminAccess.sameHost("null", "localhost")).isFalse();
        assertThat(AdminAccess.sameHost("http://localhost", null)).isFalse();
    }
}
