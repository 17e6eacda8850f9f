package io.wstunnel.srv.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class PasswordHashTest {
    @Test
    void hashRoundTripsThroughItsTextForm() {
        PasswordHash h = PasswordHash.create("s3cret pässword".toCharArray(), 10_000);
        String text = h.toString();
        assertThat(text).matches("pbkdf2-sha256\\$10000\\$[A-Za-z0-9+/]{22}\\$[A-Za-z0-9+/]{43}");
        PasswordHash back = PasswordHash.parse(text);
        assertThat(back.matches("s3cret pässword".getBytes(StandardCharsets.UTF_8))).isTrue();
        assertThat(back.matches("s3cret password".getBytes(StandardCharsets.UTF_8))).isFalse();
        assertThat(back.matches(new byte[0])).isFalse();
        assertThat(PasswordHash.create("x".toCharArray(), 10_000).toString()).as("random salt").isNotEqualTo(
                PasswordHash.create("x".toCharArray(), 10_000).toString());
    }

    @Test
    void paddedBase64IsAcceptedToo() {
        // Same derivation written with '=' padding (as some tools do).
        PasswordHash h = PasswordHash.create("pw".toCharArray(), 10_000);
        String[] p = h.toString().split("\\$");
        String padded = p[0] + "$" + p[1] + "$" + p[2] + "==$" + p[3] + "=";
        assertThat(PasswordHash.parse(padded).matches("pw".getBytes(StandardCharsets.UTF_8))).isTrue();
    }

    @Test
    void badHashesAreRefusedWithoutEchoingThem() {
        assertThatThrownBy(() -> PasswordHash.parse("$2b$12$abcdefghijklmnopqrstuv")).as("bcrypt: BcryptHash's")
                .hasMessageContaining("pbkdf2-sha256$<iterations>");
        assertThatThrownBy(() -> PasswordHash.parse("plainpassword")).hasMessageContaining("pbkdf2-sha256$<iterations>")
                .hasMessageNotContaining("plainpassword");
        assertThatThrownBy(() -> PasswordHash.parse("pbkdf2-sha256$100$AAAAAAAAAAAAAAAAAAAAAA$"
                + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")).hasMessageContaining("iterations");
        assertThatThrownBy(() -> PasswordHash.parse("pbkdf2-sha256$10000$!!$??")).hasMessageContaining("base64");
        assertThatThrownBy(() -> PasswordHash.parse("pbkdf2-sha256$10000$AAAA")).hasMessageContaining("pbkdf2-sha256$");
        assertThatThrownBy(() -> PasswordHash.create("x".toCharArray(), 5)).hasMessageContaining("iterations");
    }
}
