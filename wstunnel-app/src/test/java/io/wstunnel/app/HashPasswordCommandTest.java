package io.wstunnel.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.wstunnel.srv.auth.BcryptHash;
import io.wstunnel.srv.auth.HashedPassword;
import io.wstunnel.srv.auth.PasswordHash;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code wstunnel hash-password}: stdin in, one hash line out. */
class HashPasswordCommandTest {
    private final InputStream stdin = System.in;

    @AfterEach
    void restore() {
        System.setIn(stdin);
    }

    static Cmd.Result run(String input, String... args) {
        System.setIn(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)));
        String[] all = new String[args.length + 1];
        all[0] = "hash-password";
        System.arraycopy(args, 0, all, 1, args.length);
        return Cmd.run(all);
    }

    @Test
    void printsAHashOfTheFirstLine() {
        Cmd.Result r = run("pässword one\r\nignored\n", "-iterations", "10000");
        assertThat(r.exitCode()).as(r.err()).isZero();
        String line = r.out().strip();
        assertThat(line).matches("pbkdf2-sha256\\$10000\\$[A-Za-z0-9+/]+\\$[A-Za-z0-9+/]+");
        PasswordHash h = PasswordHash.parse(line);
        assertThat(h.matches("pässword one".getBytes(StandardCharsets.UTF_8))).isTrue();
        assertThat(h.matches("ignored".getBytes(StandardCharsets.UTF_8))).isFalse();
    }

    @Test
    void withATokenPrintsAPasswordsFileLine() {
        Cmd.Result r = run("pw", "-token", "my-agent-token-0123456", "--iterations=10000");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out().strip()).startsWith("my-agent-token-0123456:pbkdf2-sha256$10000$");
        assertThat(PasswordHash.parse(r.out().strip().substring("my-agent-token-0123456:".length()))
                .matches("pw".getBytes(StandardCharsets.UTF_8))).isTrue();
        assertThat(PasswordHash.parse(r.out().strip().substring(23)).iterations()).isEqualTo(10000);
    }

    @Test
    void defaultIterationsAreOwasps() {
        Cmd.Result r = run("pw\n");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).startsWith("pbkdf2-sha256$600000$");
    }

    @Test
    void bcryptOnRequest() {
        Cmd.Result r = run("pässword one\n", "-bcrypt", "-cost", "5", "-token", "my-agent-token-0123456");
        assertThat(r.exitCode()).as(r.err()).isZero();
        String line = r.out().strip();
        assertThat(line).matches("my-agent-token-0123456:\\$2b\\$05\\$[./A-Za-z0-9]{53}");
        HashedPassword h = HashedPassword.parse(line.substring(23));
        assertThat(h.matches("pässword one".getBytes(StandardCharsets.UTF_8))).isTrue();
        assertThat(h.matches("pässword two".getBytes(StandardCharsets.UTF_8))).isFalse();
        assertThat(((BcryptHash) h).cost()).isEqualTo(5);
        Cmd.Result d = run("pw\n", "--bcrypt");
        assertThat(d.exitCode()).as(d.err()).isZero();
        assertThat(d.out()).as("default cost").startsWith("$2b$12$");
    }

    @Test
    void badInputIsAOneLineUsageError() {
        for (Cmd.Result r : new Cmd.Result[] {run("\n"), run(""), run("pw\n", "-token", "short"),
                run("pw\n", "-iterations", "10"), run("pw\n", "-token", "has:colon-0123456789"),
                run("pw\n", "-bcrypt", "-cost", "3"), run("pw\n", "-bcrypt", "-cost", "32"),
                run("pw\n", "-cost", "10"), run("pw\n", "-bcrypt", "-iterations", "10000"),
                run("x".repeat(73) + "\n", "-bcrypt", "-cost", "4")}) {
            assertThat(r.exitCode()).isEqualTo(2);
            assertThat(r.err()).startsWith("wstunnel hash-password: ").hasLineCount(1);
            assertThat(r.out()).isEmpty();
        }
    }
}
