package io.wstunnel.srv.auth;

import static io.wstunnel.srv.auth.CredentialAssertions.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BcryptHashTest {
    @Test
    void aHashMadeByTheLibraryRoundTrips() {
        BcryptHash h = BcryptHash.create("s3cret pässword".toCharArray(), 4);
        String text = h.toString();
        assertThat(text).matches("\\$2b\\$04\\$[./A-Za-z0-9]{53}");
        HashedPassword back = HashedPassword.parse(text);
        assertThat(back).isInstanceOf(BcryptHash.class);
        assertThat(back.algorithm()).isEqualTo("bcrypt");
        assertThat(back.matches(utf8("s3cret pässword"))).isTrue();
        assertThat(back.matches(utf8("s3cret password"))).isFalse();
        assertThat(back.matches(utf8("s3cret pässword "))).isFalse();
        assertThat(back.matches(new byte[0])).isFalse();
        assertThat(BcryptHash.create("x".toCharArray(), 4).toString()).as("random salt")
                .isNotEqualTo(BcryptHash.create("x".toCharArray(), 4).toString());
        assertThat(((BcryptHash) back).cost()).isEqualTo(4);
    }

    /**
     * Published vectors: jBCrypt's TestBCrypt ($2a$06), Openwall crypt_blowfish's wrapper.c ($2a$05,
     * including the "chars after 72 are ignored" one), passlib's $2b$ (UTF-8 password) and $2y$ ones.
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "abc|$2a$06$If6bvum7DFjUnE9p2uDeDu0YHzrHM6tf.iqN8.yx.jNN1ILEf7h0i|abd",
        "abcdefghijklmnopqrstuvwxyz|$2a$06$.rCVZVOThsIa97pEDOxvGuRRgzG64bvtJ0938xuqzv18d3ZpQhstC|abcdefghijklmnopqrstuvwxy",
        "U*U|$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW|U*U*",
        "U*U*|$2a$05$CCCCCCCCCCCCCCCCCCCCC.VGOzA784oUp/Z0DY336zx7pLYAy0lwK|U*U",
        "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789chars after 72 are ignored"
                + "|$2a$05$abcdefghijklmnopqrstuu5s2v8.iXieOjg/.AySBTTZIIVFJeBui"
                + "|0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ012345678",
        "t\u00e1\u0411\u2113\u0259|$2b$05$Z17AXnnlpzddNUvnC6cZNOSwMA/8oNiKnHTHTwLlBijfucQQlHjaG|ta\u0411\u2113\u0259",
    })
    void publishedVectors(String password, String hash, String wrong) {
        HashedPassword h = HashedPassword.parse(hash);
        assertThat(h.matches(utf8(password))).isTrue();
        assertThat(h.matches(utf8(wrong))).isFalse();
    }

    @Test
    void the72ByteVectorMatchesItsFirst72BytesAlone() {
        HashedPassword h = HashedPassword.parse("$2a$05$abcdefghijklmnopqrstuu5s2v8.iXieOjg/.AySBTTZIIVFJeBui");
        assertThat(h.matches(utf8("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"))).isTrue();
    }

    @Test
    void twoYAndTwoBOfAHighBitPassword() {
        // passlib's $2y$ vector: the single byte 0xA3 (not UTF-8; bytes are what bcrypt hashes).
        assertThat(HashedPassword.parse("$2y$05$/OK.fbVrR/bpIqNJ5ianF.Sa7shbm4.OzKpvFnX1pQLmQW96oUlCq")
                .matches(new byte[] {(byte) 0xa3})).isTrue();
        assertThat(HashedPassword.parse("$2b$05$/OK.fbVrR/bpIqNJ5ianF.Sa7shbm4.OzKpvFnX1pQLmQW96oUlCq")
                .matches(new byte[] {(byte) 0xa3})).as("$2b$ = $2y$ for a sound implementation").isTrue();
        assertThat(HashedPassword.parse("$2y$05$/OK.fbVrR/bpIqNJ5ianF.Sa7shbm4.OzKpvFnX1pQLmQW96oUlCq")
                .matches(new byte[] {(byte) 0xa4})).isFalse();
    }

    @Test
    void malformedHashesAreRefusedWithoutEchoingThem() {
        String good = "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW";
        assertThatThrownBy(() -> HashedPassword.parse(good.substring(0, 59))).hasMessageContaining("53 characters")
                .hasMessageNotContaining("CCCC");
        assertThatThrownBy(() -> HashedPassword.parse(good + "x")).hasMessageContaining("53 characters");
        assertThatThrownBy(() -> HashedPassword.parse(good.replace('.', '!'))).hasMessageContaining("[./A-Za-z0-9]");
        assertThatThrownBy(() -> HashedPassword.parse(good.replace("$05$", "$5$"))).hasMessageContaining("two-digit cost");
        assertThatThrownBy(() -> HashedPassword.parse(good.replace("$05$", "$03$"))).hasMessageContaining("cost must be 4..31");
        assertThatThrownBy(() -> HashedPassword.parse(good.replace("$05$", "$32$"))).hasMessageContaining("cost must be 4..31");
        assertThatThrownBy(() -> HashedPassword.parse(good.replace("$2a$", "$2x$"))).hasMessageContaining("unsupported bcrypt variant");
        assertThatThrownBy(() -> HashedPassword.parse(good.replace("$2a$", "$2c$"))).hasMessageContaining("$2a$, $2b$ or $2y$");
        assertThatThrownBy(() -> HashedPassword.parse("$2b$12$abcdefghijklmnopqrstuv")).hasMessageContaining("bcrypt");
        assertThatThrownBy(() -> HashedPassword.parse("plainpassword")).hasMessageContaining("pbkdf2-sha256$<iterations>")
                .hasMessageContaining("bcrypt").hasMessageNotContaining("plainpassword");
    }

    @Test
    void createRefusesWhatBcryptWouldCutOrMisread() {
        assertThat(BcryptHash.create("x".repeat(72).toCharArray(), 4).matches(utf8("x".repeat(72)))).isTrue();
        assertThatThrownBy(() -> BcryptHash.create("x".repeat(73).toCharArray(), 4)).hasMessageContaining("first 72 bytes");
        assertThatThrownBy(() -> BcryptHash.create("é".repeat(37).toCharArray(), 4)).as("74 UTF-8 bytes")
                .hasMessageContaining("first 72 bytes");
        assertThatThrownBy(() -> BcryptHash.create("a\0b".toCharArray(), 4)).hasMessageContaining("NUL");
        assertThatThrownBy(() -> BcryptHash.create("x".toCharArray(), 3)).hasMessageContaining("cost");
        assertThatThrownBy(() -> BcryptHash.create("x".toCharArray(), 32)).hasMessageContaining("cost");
    }

    @Test
    void aMatchedBcryptPasswordIsRememberedSoReconnectsAreCheap() {
        Credential c = Credential.hashed(BcryptHash.create("pw".toCharArray(), 11));
        assertThat(c.expensive()).as("checked off the I/O thread").isTrue();
        assertThat(c.toString()).isEqualTo("bcrypt");
        CredentialAssertions.assertMatchIsRemembered(c);
    }
}
